/// One high-level browser action in BrowserGym's syntax (`click('13')`,
/// `fill('7', "hello")`, `scroll(0, 200)`), parsed by ``ActionParser``.
///
/// Elements are named by their `bid`, the number shown in brackets in the observation's
/// accessibility tree. Coordinates are CSS pixels of the viewport.
public enum BrowserAction: Sendable, Equatable {
    case noop(waitMs: Double)
    case sendMessageToUser(String)
    case reportInfeasible(String)
    case scroll(dx: Double, dy: Double)
    case fill(bid: String, value: String)
    case clear(bid: String)
    case selectOption(bid: String, options: [String])
    case click(bid: String, button: MouseButton, modifiers: [String])
    case dblclick(bid: String, button: MouseButton, modifiers: [String])
    case hover(bid: String)
    case press(bid: String, keys: String)
    case focus(bid: String)
    case dragAndDrop(from: String, to: String)
    case goto(url: String)
    case goBack
    case goForward
    case keyboardPress(keys: String)
    case keyboardType(text: String)
    case keyboardDown(key: String)
    case keyboardUp(key: String)
    case mouseMove(x: Double, y: Double)
    case mouseClick(x: Double, y: Double, button: MouseButton)
    case mouseDblclick(x: Double, y: Double, button: MouseButton)
    case mouseDown(x: Double, y: Double, button: MouseButton)
    case mouseUp(x: Double, y: Double, button: MouseButton)
    /// The reference harness's `send_keys(text)`: a key name (`Enter`, `Control+a`) is
    /// pressed, anything else typed.
    case sendKeys(text: String)

    public enum MouseButton: String, Sendable, Equatable {
        case left, middle, right
    }
}

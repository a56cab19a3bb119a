import OpenEnvCore

/// Performs ``BrowserAction``s on a ``BrowserPage`` with real input events
/// (`Input.dispatchMouseEvent`, `Input.dispatchKeyEvent`, `Input.insertText`), as a user
/// would: clicks land at the centre of the element after it is scrolled into view.
struct ActionExecutor {
    let page: BrowserPage
    /// `send_msg_to_user` / `report_infeasible` texts, for the observation's metadata.
    var messages: [String] = []

    mutating func perform(_ action: BrowserAction) async throws {
        switch action {
        case .noop(let waitMs):
            try await Task.sleep(for: .milliseconds(Int64(min(waitMs, 10_000))))
        case .sendMessageToUser(let text):
            messages.append(text)
        case .reportInfeasible(let reason):
            messages.append("infeasible: " + reason)
        case .scroll(let dx, let dy):
            try await mouse("mouseWheel", 640, 360, extra: ["deltaX": .double(dx), "deltaY": .double(dy)])
        case .fill(let bid, let value):
            try await fill(bid, value)
        case .clear(let bid):
            try await fill(bid, "")
        case .selectOption(let bid, let options):
            _ = try await page.helper("selectOption", ["bid": .string(bid), "options": .array(options.map(JSONValue.string))])
        case .click(let bid, let button, let modifiers):
            let (x, y) = try await point(bid)
            try await click(x, y, button, count: 1, modifiers: modifierMask(modifiers))
        case .dblclick(let bid, let button, let modifiers):
            let (x, y) = try await point(bid)
            try await click(x, y, button, count: 1, modifiers: modifierMask(modifiers))
            try await click(x, y, button, count: 2, modifiers: modifierMask(modifiers))
        case .hover(let bid):
            let (x, y) = try await point(bid)
            try await mouse("mouseMoved", x, y)
        case .press(let bid, let keys):
            _ = try await page.helper("focus", ["bid": .string(bid)])
            try await pressCombination(keys)
        case .focus(let bid):
            _ = try await page.helper("focus", ["bid": .string(bid)])
        case .dragAndDrop(let from, let to):
            let (x0, y0) = try await point(from)
            let (x1, y1) = try await point(to)
            try await mouse("mouseMoved", x0, y0)
            try await mouse("mousePressed", x0, y0, button: .left, count: 1)
            try await mouse("mouseMoved", (x0 + x1) / 2, (y0 + y1) / 2, extra: ["buttons": 1])
            try await mouse("mouseMoved", x1, y1, extra: ["buttons": 1])
            try await mouse("mouseReleased", x1, y1, button: .left, count: 1)
        case .goto(let url):
            try await page.navigate(url)
        case .goBack:
            try await page.history(-1)
        case .goForward:
            try await page.history(1)
        case .keyboardPress(let keys):
            try await pressCombination(keys)
        case .keyboardType(let text):
            try await page.call("Input.insertText", ["text": .string(text)])
        case .keyboardDown(let key):
            try await keyEvent("keyDown", try Keys.key(key), modifiers: 0)
        case .keyboardUp(let key):
            try await keyEvent("keyUp", try Keys.key(key), modifiers: 0)
        case .mouseMove(let x, let y):
            try await mouse("mouseMoved", x, y)
        case .mouseClick(let x, let y, let button):
            try await click(x, y, button, count: 1, modifiers: 0)
        case .mouseDblclick(let x, let y, let button):
            try await click(x, y, button, count: 1, modifiers: 0)
            try await click(x, y, button, count: 2, modifiers: 0)
        case .mouseDown(let x, let y, let button):
            try await mouse("mousePressed", x, y, button: button, count: 1)
        case .mouseUp(let x, let y, let button):
            try await mouse("mouseReleased", x, y, button: button, count: 1)
        case .sendKeys(let text):
            if (try? Keys.combination(text)) != nil {
                try await pressCombination(text)
            } else {
                try await page.call("Input.insertText", ["text": .string(text)])
            }
        }
    }

    private func point(_ bid: String) async throws -> (Double, Double) {
        let box = try await page.helper("locate", ["bid": .string(bid)])
        guard let x = box["x"]?.doubleValue, let y = box["y"]?.doubleValue else { throw ActionFailure("Error: cannot locate bid \"\(bid)\"") }
        return (x, y)
    }

    private func fill(_ bid: String, _ value: String) async throws {
        let prepared = try await page.helper("prepareFill", ["bid": .string(bid)])
        if prepared["empty"]?.boolValue != true {
            try await keyEvent("keyDown", try Keys.key("Delete"), modifiers: 0)
            try await keyEvent("keyUp", try Keys.key("Delete"), modifiers: 0)
        }
        if !value.isEmpty { try await page.call("Input.insertText", ["text": .string(value)]) }
    }

    private func click(_ x: Double, _ y: Double, _ button: BrowserAction.MouseButton, count: Int, modifiers: Int) async throws {
        try await mouse("mouseMoved", x, y, modifiers: modifiers)
        try await mouse("mousePressed", x, y, button: button, count: count, modifiers: modifiers)
        try await mouse("mouseReleased", x, y, button: button, count: count, modifiers: modifiers)
    }

    private func mouse(_ type: String, _ x: Double, _ y: Double, button: BrowserAction.MouseButton? = nil, count: Int = 0,
                       modifiers: Int = 0, extra: JSONObject = [:]) async throws {
        var params: JSONObject = ["type": .string(type), "x": .double(x), "y": .double(y), "modifiers": .int(modifiers)]
        if let button {
            params["button"] = .string(button.rawValue)
            params["clickCount"] = .int(count)
            params["buttons"] = .int(type == "mousePressed" ? (button == .left ? 1 : button == .right ? 2 : 4) : 0)
        }
        for member in extra { params[member.key] = member.value }
        try await page.call("Input.dispatchMouseEvent", params)
    }

    private func modifierMask(_ names: [String]) throws -> Int {
        try names.reduce(0) { mask, name in
            guard let bit = Keys.modifiers[Keys.normalizedModifier(name)] else { throw ActionFailure("Error: unknown modifier \(name)") }
            return mask | bit
        }
    }

    private func pressCombination(_ text: String) async throws {
        let (modifierNames, key) = try Keys.combination(text)
        var mask = 0
        for name in modifierNames {
            let bit = Keys.modifiers[name] ?? 0
            mask |= bit
            try await keyEvent("rawKeyDown", Keys.modifierKeys[name]!, modifiers: mask)
        }
        try await keyEvent("keyDown", key, modifiers: mask)
        try await keyEvent("keyUp", key, modifiers: mask)
        for name in modifierNames.reversed() {
            mask &= ~(Keys.modifiers[name] ?? 0)
            try await keyEvent("keyUp", Keys.modifierKeys[name]!, modifiers: mask)
        }
    }

    private func keyEvent(_ type: String, _ key: Keys.Key, modifiers: Int) async throws {
        var params: JSONObject = ["type": .string(type), "key": .string(key.key), "code": .string(key.code),
                                  "windowsVirtualKeyCode": .int(key.keyCode), "modifiers": .int(modifiers)]
        // Text only for a plain keyDown (with Control or Alt held, a key is a shortcut).
        if type == "keyDown", let text = key.text, modifiers & (Keys.modifiers["Control"]! | Keys.modifiers["Alt"]! | Keys.modifiers["Meta"]!) == 0 {
            params["text"] = .string(text)
            params["unmodifiedText"] = .string(text)
        }
        if type == "keyDown" && key.text == nil { params["type"] = "rawKeyDown" }
        try await page.call("Input.dispatchKeyEvent", params)
    }
}

/// Playwright's key names (`Enter`, `ArrowDown`, `a`, `Control+a`) as DevTools key events.
enum Keys {
    struct Key {
        var key: String
        var code: String
        var keyCode: Int
        var text: String?
    }

    static let modifiers = ["Alt": 1, "Control": 2, "Meta": 4, "Shift": 8]
    static let modifierKeys: [String: Key] = [
        "Alt": Key(key: "Alt", code: "AltLeft", keyCode: 18), "Control": Key(key: "Control", code: "ControlLeft", keyCode: 17),
        "Meta": Key(key: "Meta", code: "MetaLeft", keyCode: 91), "Shift": Key(key: "Shift", code: "ShiftLeft", keyCode: 16),
    ]
    static let named: [String: Key] = [
        "Enter": Key(key: "Enter", code: "Enter", keyCode: 13, text: "\r"), "Tab": Key(key: "Tab", code: "Tab", keyCode: 9),
        "Backspace": Key(key: "Backspace", code: "Backspace", keyCode: 8), "Delete": Key(key: "Delete", code: "Delete", keyCode: 46),
        "Escape": Key(key: "Escape", code: "Escape", keyCode: 27), "Space": Key(key: " ", code: "Space", keyCode: 32, text: " "),
        "ArrowUp": Key(key: "ArrowUp", code: "ArrowUp", keyCode: 38), "ArrowDown": Key(key: "ArrowDown", code: "ArrowDown", keyCode: 40),
        "ArrowLeft": Key(key: "ArrowLeft", code: "ArrowLeft", keyCode: 37), "ArrowRight": Key(key: "ArrowRight", code: "ArrowRight", keyCode: 39),
        "Home": Key(key: "Home", code: "Home", keyCode: 36), "End": Key(key: "End", code: "End", keyCode: 35),
        "PageUp": Key(key: "PageUp", code: "PageUp", keyCode: 33), "PageDown": Key(key: "PageDown", code: "PageDown", keyCode: 34),
    ]

    static func normalizedModifier(_ name: String) -> String {
        switch name.lowercased() {
        case "control", "ctrl", "controlormeta": "Control"
        case "shift": "Shift"
        case "alt", "option": "Alt"
        case "meta", "cmd", "command": "Meta"
        default: name
        }
    }

    static func key(_ name: String) throws -> Key {
        if let key = named[name] { return key }
        if name.count == 1, let c = name.unicodeScalars.first {
            let upper = String(c).uppercased()
            let isLetter = c.properties.isAlphabetic && c.isASCII
            let isDigit = ("0"..."9").contains(c)
            let code = isLetter ? "Key" + upper : isDigit ? "Digit" + name : ""
            let keyCode = isLetter || isDigit ? Int(upper.unicodeScalars.first!.value) : 0
            return Key(key: name, code: code, keyCode: keyCode, text: name)
        }
        if name.hasPrefix("F"), let n = Int(name.dropFirst()), (1...12).contains(n) {
            return Key(key: name, code: name, keyCode: 111 + n)
        }
        throw ActionFailure("Error: Unknown key: \"\(name)\"")
    }

    /// `Control+Shift+a` → (["Control", "Shift"], a).
    static func combination(_ text: String) throws -> ([String], Key) {
        var parts = text.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("++") || text == "+" { parts = Array(parts.dropLast(2)) + ["+"] }
        guard let last = parts.last, !last.isEmpty else { throw ActionFailure("Error: Unknown key: \"\(text)\"") }
        var names: [String] = []
        for part in parts.dropLast() {
            let name = normalizedModifier(part)
            guard modifiers[name] != nil else { throw ActionFailure("Error: Unknown key: \"\(part)\"") }
            names.append(name)
        }
        return (names, try key(last))
    }
}

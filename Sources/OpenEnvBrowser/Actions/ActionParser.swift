import Foundation

/// Parses BrowserGym action strings: one or more Python-style calls (`click('13')`,
/// `fill("7", 'a\nb')`, `select_option('4', ["a", "b"])`, `noop(wait_ms=500)`), separated
/// by newlines or `;`, with `#` comments. Only literals are accepted as arguments (strings
/// with Python's quotes and escapes, numbers, `True`/`False`/`None`, lists and tuples):
/// nothing is evaluated. Errors read like the Python errors BrowserGym reports, so an
/// agent sees the same kind of feedback.
public enum ActionParser {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// A literal argument.
    indirect enum Value: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case none
        case list([Value])
    }

    /// The actions BrowserGym names but this environment does not perform (tabs, files).
    static let unsupported: Set<String> = ["new_tab", "tab_close", "tab_focus", "upload_file", "mouse_drag_and_drop", "mouse_upload_file", "keyboard_insert_text_at"]

    /// Every action in `text`, in order.
    public static func parse(_ text: String) throws(ParseError) -> [BrowserAction] {
        var scanner = Scanner(Array(text.unicodeScalars))
        var actions: [BrowserAction] = []
        while true {
            scanner.skipSeparators()
            if scanner.atEnd { break }
            let (name, positional, keywords) = try scanner.call()
            actions.append(try bind(name, positional, keywords))
            scanner.skipSpaces()
            guard scanner.atEnd || scanner.peek == "\n" || scanner.peek == ";" || scanner.peek == "#" else {
                throw ParseError("SyntaxError: unexpected '\(scanner.peek.map { String($0) } ?? "")' after \(name)(...)")
            }
        }
        guard !actions.isEmpty else { throw ParseError("ValueError: empty action: expected a call such as click('12') or noop()") }
        return actions
    }

    // MARK: Binding calls to actions

    private struct Signature {
        var parameters: [String]
        var required: Int
    }

    private static let signatures: [String: Signature] = [
        "noop": .init(parameters: ["wait_ms"], required: 0),
        "send_msg_to_user": .init(parameters: ["text"], required: 1),
        "report_infeasible": .init(parameters: ["reason"], required: 1),
        "scroll": .init(parameters: ["delta_x", "delta_y"], required: 1),
        "fill": .init(parameters: ["bid", "value", "enable_autocomplete_menu"], required: 2),
        "clear": .init(parameters: ["bid"], required: 1),
        "select_option": .init(parameters: ["bid", "options"], required: 2),
        "click": .init(parameters: ["bid", "button", "modifiers"], required: 1),
        "dblclick": .init(parameters: ["bid", "button", "modifiers"], required: 1),
        "hover": .init(parameters: ["bid"], required: 1),
        "press": .init(parameters: ["bid", "key_comb"], required: 2),
        "focus": .init(parameters: ["bid"], required: 1),
        "drag_and_drop": .init(parameters: ["from_bid", "to_bid"], required: 2),
        "goto": .init(parameters: ["url"], required: 1),
        "go_back": .init(parameters: [], required: 0),
        "go_forward": .init(parameters: [], required: 0),
        "keyboard_press": .init(parameters: ["key"], required: 1),
        "keyboard_type": .init(parameters: ["text"], required: 1),
        "keyboard_insert_text": .init(parameters: ["text"], required: 1),
        "keyboard_down": .init(parameters: ["key"], required: 1),
        "keyboard_up": .init(parameters: ["key"], required: 1),
        "mouse_move": .init(parameters: ["x", "y"], required: 2),
        "mouse_click": .init(parameters: ["x", "y", "button"], required: 2),
        "mouse_dblclick": .init(parameters: ["x", "y", "button"], required: 2),
        "mouse_down": .init(parameters: ["x", "y", "button"], required: 2),
        "mouse_up": .init(parameters: ["x", "y", "button"], required: 2),
        "send_keys": .init(parameters: ["text"], required: 1),
    ]

    private static func bind(_ name: String, _ positional: [Value], _ keywords: [(String, Value)]) throws(ParseError) -> BrowserAction {
        if unsupported.contains(name) { throw ParseError("ValueError: action \(name)() is not supported by this environment (one page per session)") }
        guard let signature = signatures[name] else { throw ParseError("NameError: name '\(name)' is not defined (not a BrowserGym action)") }
        guard positional.count <= signature.parameters.count else {
            throw ParseError("TypeError: \(name)() takes \(signature.parameters.count) positional arguments but \(positional.count) were given")
        }
        var args: [String: Value] = [:]
        for (index, value) in positional.enumerated() { args[signature.parameters[index]] = value }
        for (key, value) in keywords {
            guard signature.parameters.contains(key) else { throw ParseError("TypeError: \(name)() got an unexpected keyword argument '\(key)'") }
            guard args[key] == nil else { throw ParseError("TypeError: \(name)() got multiple values for argument '\(key)'") }
            args[key] = value
        }
        let missing = signature.parameters.prefix(signature.required).filter { args[$0] == nil }
        guard missing.isEmpty else {
            throw ParseError("TypeError: \(name)() missing \(missing.count) required positional argument\(missing.count == 1 ? "" : "s"): \(missing.map { "'\($0)'" }.joined(separator: " and "))")
        }

        func string(_ key: String) throws(ParseError) -> String {
            switch args[key] {
            case .string(let s): return s
            case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
            default: throw ParseError("TypeError: \(name)() argument '\(key)' must be a string")
            }
        }
        func number(_ key: String, default value: Double) throws(ParseError) -> Double {
            switch args[key] {
            case nil, .none?: return value
            case .number(let n)?: return n
            case .string(let s)?: if let n = Double(s) { return n }
            default: break
            }
            throw ParseError("TypeError: \(name)() argument '\(key)' must be a number")
        }
        func button(_ key: String) throws(ParseError) -> BrowserAction.MouseButton {
            guard let value = args[key], value != .none else { return .left }
            guard case .string(let s) = value, let button = BrowserAction.MouseButton(rawValue: s) else {
                throw ParseError("ValueError: \(name)() argument '\(key)' must be 'left', 'middle' or 'right'")
            }
            return button
        }
        func strings(_ key: String) throws(ParseError) -> [String] {
            switch args[key] {
            case nil, .none?: return []
            case .string(let s)?: return [s]
            case .list(let items)?:
                var result: [String] = []
                for item in items {
                    guard case .string(let s) = item else { throw ParseError("TypeError: \(name)() argument '\(key)' must hold strings") }
                    result.append(s)
                }
                return result
            default: throw ParseError("TypeError: \(name)() argument '\(key)' must be a string or a list of strings")
            }
        }

        switch name {
        case "noop": return .noop(waitMs: max(0, try number("wait_ms", default: 1000)))
        case "send_msg_to_user": return .sendMessageToUser(try string("text"))
        case "report_infeasible": return .reportInfeasible(try string("reason"))
        case "scroll":
            // BrowserGym: scroll(delta_x, delta_y); the reference harness: scroll('up'|'down').
            if case .string(let direction)? = args["delta_x"], args["delta_y"] == nil {
                switch direction.lowercased() {
                case "down": return .scroll(dx: 0, dy: 300)
                case "up": return .scroll(dx: 0, dy: -300)
                case "right": return .scroll(dx: 300, dy: 0)
                case "left": return .scroll(dx: -300, dy: 0)
                default: throw ParseError("ValueError: scroll() direction must be 'up', 'down', 'left' or 'right'")
                }
            }
            guard args["delta_y"] != nil else { throw ParseError("TypeError: scroll() missing 1 required positional argument: 'delta_y'") }
            return .scroll(dx: try number("delta_x", default: 0), dy: try number("delta_y", default: 0))
        case "fill": return .fill(bid: try string("bid"), value: try string("value"))
        case "clear": return .clear(bid: try string("bid"))
        case "select_option": return .selectOption(bid: try string("bid"), options: try strings("options"))
        case "click": return .click(bid: try string("bid"), button: try button("button"), modifiers: try strings("modifiers"))
        case "dblclick": return .dblclick(bid: try string("bid"), button: try button("button"), modifiers: try strings("modifiers"))
        case "hover": return .hover(bid: try string("bid"))
        case "press": return .press(bid: try string("bid"), keys: try string("key_comb"))
        case "focus": return .focus(bid: try string("bid"))
        case "drag_and_drop": return .dragAndDrop(from: try string("from_bid"), to: try string("to_bid"))
        case "goto": return .goto(url: try string("url"))
        case "go_back": return .goBack
        case "go_forward": return .goForward
        case "keyboard_press": return .keyboardPress(keys: try string("key"))
        case "keyboard_type", "keyboard_insert_text": return .keyboardType(text: try string("text"))
        case "keyboard_down": return .keyboardDown(key: try string("key"))
        case "keyboard_up": return .keyboardUp(key: try string("key"))
        case "mouse_move": return .mouseMove(x: try number("x", default: 0), y: try number("y", default: 0))
        case "mouse_click": return .mouseClick(x: try number("x", default: 0), y: try number("y", default: 0), button: try button("button"))
        case "mouse_dblclick": return .mouseDblclick(x: try number("x", default: 0), y: try number("y", default: 0), button: try button("button"))
        case "mouse_down": return .mouseDown(x: try number("x", default: 0), y: try number("y", default: 0), button: try button("button"))
        case "mouse_up": return .mouseUp(x: try number("x", default: 0), y: try number("y", default: 0), button: try button("button"))
        case "send_keys": return .sendKeys(text: try string("text"))
        default: throw ParseError("NameError: name '\(name)' is not defined")
        }
    }

    // MARK: Scanning

    private struct Scanner {
        let chars: [Unicode.Scalar]
        var i = 0
        init(_ chars: [Unicode.Scalar]) { self.chars = chars }

        var atEnd: Bool { i >= chars.count }
        var peek: Unicode.Scalar? { i < chars.count ? chars[i] : nil }

        mutating func skipSpaces() {
            while let c = peek, c == " " || c == "\t" || c == "\r" { i += 1 }
        }

        /// Whitespace, newlines, `;` and comments between calls.
        mutating func skipSeparators() {
            while let c = peek {
                if c == " " || c == "\t" || c == "\r" || c == "\n" || c == ";" {
                    i += 1
                } else if c == "#" {
                    while let d = peek, d != "\n" { i += 1 }
                } else {
                    break
                }
            }
        }

        /// Spaces and newlines inside brackets.
        mutating func skipBlank() {
            while let c = peek, c == " " || c == "\t" || c == "\r" || c == "\n" { i += 1 }
        }

        mutating func identifier() -> String? {
            let start = i
            while let c = peek, c == "_" || c.properties.isAlphabetic || (i > start && ("0"..."9").contains(c)) { i += 1 }
            return i > start ? String(String.UnicodeScalarView(chars[start..<i])) : nil
        }

        mutating func expect(_ c: Unicode.Scalar, _ what: String) throws(ParseError) {
            skipBlank()
            guard peek == c else { throw ParseError("SyntaxError: expected '\(c)' \(what)") }
            i += 1
        }

        mutating func call() throws(ParseError) -> (String, [Value], [(String, Value)]) {
            guard let name = identifier() else {
                throw ParseError("SyntaxError: expected an action call such as click('12'), found '\(String(String.UnicodeScalarView(chars[i..<min(chars.count, i + 20)])))'")
            }
            skipSpaces()
            guard peek == "(" else { throw ParseError("SyntaxError: expected '(' after \(name)") }
            if signatures[name] == nil && !unsupported.contains(name) {
                throw ParseError("NameError: name '\(name)' is not defined (not a BrowserGym action)")
            }
            i += 1
            var positional: [Value] = []
            var keywords: [(String, Value)] = []
            skipBlank()
            if peek == ")" {
                i += 1
                return (name, positional, keywords)
            }
            while true {
                skipBlank()
                let save = i
                if let key = identifier(), !["True", "False", "None"].contains(key),
                   !(["r", "R"].contains(key) && (peek == "'" || peek == "\"")) {
                    skipBlank()
                    guard peek == "=" else { throw ParseError("SyntaxError: \(name)() arguments must be literals, not the name '\(key)'") }
                    i += 1
                    skipBlank()
                    keywords.append((key, try value()))
                } else {
                    i = save
                    guard keywords.isEmpty else { throw ParseError("SyntaxError: positional argument follows keyword argument in \(name)()") }
                    positional.append(try value())
                }
                skipBlank()
                if peek == "," {
                    i += 1
                    skipBlank()
                    if peek == ")" { i += 1; break }
                } else if peek == ")" {
                    i += 1
                    break
                } else {
                    throw ParseError("SyntaxError: expected ',' or ')' in \(name)(...)")
                }
            }
            return (name, positional, keywords)
        }

        mutating func value() throws(ParseError) -> Value {
            skipBlank()
            guard let c = peek else { throw ParseError("SyntaxError: unexpected end of action") }
            if c == "'" || c == "\"" { return .string(try string(raw: false)) }
            if (c == "r" || c == "R"), i + 1 < chars.count, chars[i + 1] == "'" || chars[i + 1] == "\"" {
                i += 1
                return .string(try string(raw: true))
            }
            if c == "[" || c == "(" {
                let close: Unicode.Scalar = c == "[" ? "]" : ")"
                i += 1
                var items: [Value] = []
                skipBlank()
                if peek == close { i += 1; return .list(items) }
                while true {
                    items.append(try value())
                    skipBlank()
                    if peek == "," {
                        i += 1
                        skipBlank()
                        if peek == close { i += 1; break }
                    } else if peek == close {
                        i += 1
                        break
                    } else {
                        throw ParseError("SyntaxError: expected ',' or '\(close)' in a list")
                    }
                }
                return .list(items)
            }
            if c == "-" || c == "+" || c == "." || ("0"..."9").contains(c) {
                let start = i
                i += 1
                while let d = peek, ("0"..."9").contains(d) || d == "." || d == "e" || d == "E" || d == "_" || ((d == "-" || d == "+") && (chars[i - 1] == "e" || chars[i - 1] == "E")) { i += 1 }
                let text = String(String.UnicodeScalarView(chars[start..<i])).replacingOccurrences(of: "_", with: "")
                guard let n = Double(text) else { throw ParseError("SyntaxError: invalid number '\(text)'") }
                return .number(n)
            }
            if let word = identifier() {
                switch word {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default: throw ParseError("SyntaxError: arguments must be literals, not the name '\(word)'")
                }
            }
            throw ParseError("SyntaxError: unexpected '\(c)'")
        }

        /// A Python string literal (single, double or triple quoted), escapes decoded unless raw.
        mutating func string(raw: Bool) throws(ParseError) -> String {
            let quote = chars[i]
            var triple = false
            if i + 2 < chars.count, chars[i + 1] == quote, chars[i + 2] == quote {
                triple = true
                i += 3
            } else {
                i += 1
            }
            var out = String.UnicodeScalarView()
            while true {
                guard let c = peek else { throw ParseError("SyntaxError: unterminated string literal") }
                if c == quote {
                    if !triple { i += 1; break }
                    if i + 2 < chars.count, chars[i + 1] == quote, chars[i + 2] == quote { i += 3; break }
                }
                if c == "\n" && !triple { throw ParseError("SyntaxError: unterminated string literal") }
                if c == "\\" && i + 1 < chars.count {
                    let e = chars[i + 1]
                    if raw {
                        out.append(c)
                        out.append(e)
                        i += 2
                        continue
                    }
                    i += 2
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "r": out.append("\r")
                    case "0": out.append("\0")
                    case "\\", "'", "\"": out.append(e)
                    case "\n": break
                    case "x", "u", "U":
                        let count = e == "x" ? 2 : e == "u" ? 4 : 8
                        guard i + count <= chars.count, let code = UInt32(String(String.UnicodeScalarView(chars[i..<i + count])), radix: 16),
                              let scalar = Unicode.Scalar(code)
                        else { throw ParseError("SyntaxError: invalid \\\(e) escape") }
                        out.append(scalar)
                        i += count
                    default:
                        out.append("\\")
                        out.append(e)
                    }
                    continue
                }
                out.append(c)
                i += 1
            }
            return String(out)
        }
    }
}

import OpenEnvCore
import Testing

@testable import OpenEnvBrowser

/// BrowserGym action strings are Python calls; the expected values are what CPython's
/// `ast.literal_eval` makes of the same literals, written out by hand.
@Suite struct ActionParserTests {
    @Test func everyDocumentedActionParses() throws {
        #expect(try ActionParser.parse("click('13')") == [.click(bid: "13", button: .left, modifiers: [])])
        #expect(try ActionParser.parse("click(\"a12\", button=\"right\", modifiers=['Shift'])") == [.click(bid: "a12", button: .right, modifiers: ["Shift"])])
        #expect(try ActionParser.parse("dblclick('4')") == [.dblclick(bid: "4", button: .left, modifiers: [])])
        #expect(try ActionParser.parse("fill('7', 'hello world')") == [.fill(bid: "7", value: "hello world")])
        #expect(try ActionParser.parse("clear('7')") == [.clear(bid: "7")])
        #expect(try ActionParser.parse("select_option('9', ['a', \"b\"])") == [.selectOption(bid: "9", options: ["a", "b"])])
        #expect(try ActionParser.parse("select_option('9', 'only')") == [.selectOption(bid: "9", options: ["only"])])
        #expect(try ActionParser.parse("press('3', 'Control+a')") == [.press(bid: "3", keys: "Control+a")])
        #expect(try ActionParser.parse("keyboard_type('abc')") == [.keyboardType(text: "abc")])
        #expect(try ActionParser.parse("keyboard_press('Enter')") == [.keyboardPress(keys: "Enter")])
        #expect(try ActionParser.parse("scroll(0, 200)") == [.scroll(dx: 0, dy: 200)])
        #expect(try ActionParser.parse("scroll(-50.5, -1e2)") == [.scroll(dx: -50.5, dy: -100)])
        #expect(try ActionParser.parse("scroll('down')") == [.scroll(dx: 0, dy: 300)])
        #expect(try ActionParser.parse("hover('2')") == [.hover(bid: "2")])
        #expect(try ActionParser.parse("focus('2')") == [.focus(bid: "2")])
        #expect(try ActionParser.parse("goto('http://127.0.0.1:1/x')") == [.goto(url: "http://127.0.0.1:1/x")])
        #expect(try ActionParser.parse("go_back()") == [.goBack])
        #expect(try ActionParser.parse("go_forward( )") == [.goForward])
        #expect(try ActionParser.parse("noop()") == [.noop(waitMs: 1000)])
        #expect(try ActionParser.parse("noop(wait_ms=250)") == [.noop(waitMs: 250)])
        #expect(try ActionParser.parse("send_msg_to_user('done')") == [.sendMessageToUser("done")])
        #expect(try ActionParser.parse("send_keys('Enter')") == [.sendKeys(text: "Enter")])
        #expect(try ActionParser.parse("drag_and_drop('1', '2')") == [.dragAndDrop(from: "1", to: "2")])
        #expect(try ActionParser.parse("mouse_click(10, 20.5)") == [.mouseClick(x: 10, y: 20.5, button: .left)])
    }

    @Test func pythonStringLiteralsDecodeAsCPythonDoes() throws {
        // ast.literal_eval(r"'a\nb'") == 'a\nb'; r'' keeps the backslash; \x41 == 'A'; \u00e9 == 'é'
        #expect(try ActionParser.parse(#"fill('1', 'a\nb\t\'q\' \\ \x41\u00e9')"#) == [.fill(bid: "1", value: "a\nb\t'q' \\ A\u{e9}")])
        #expect(try ActionParser.parse(#"fill('1', r'a\nb')"#) == [.fill(bid: "1", value: #"a\nb"#)])
        #expect(try ActionParser.parse(#"fill('1', """x'y"z""")"#) == [.fill(bid: "1", value: #"x'y"z"#)])
    }

    @Test func severalActionsCommentsAndSeparators() throws {
        let actions = try ActionParser.parse("# plan\nfill('1', 'a')\n\nclick('2'); noop(0)  # wait\n")
        #expect(actions == [.fill(bid: "1", value: "a"), .click(bid: "2", button: .left, modifiers: []), .noop(waitMs: 0)])
    }

    @Test func malformedActionsSayWhatIsWrong() {
        let cases: [(String, String)] = [
            ("click(", "SyntaxError"), ("click('1'", "SyntaxError"), ("click('1') x", "SyntaxError"),
            ("click(bid)", "literals"), ("launch('1')", "NameError"), ("click()", "missing 1 required positional argument: 'bid'"),
            ("fill('1')", "'value'"), ("click('1', 'left', [], 4)", "positional arguments"), ("click('1', color='red')", "unexpected keyword argument 'color'"),
            ("click('1', bid='2')", "multiple values"), ("click(button='left', '1')", "positional argument follows keyword"),
            ("click('1', button='up')", "'left', 'middle' or 'right'"), ("fill('1', 'unterminated)", "unterminated"),
            ("new_tab()", "not supported"), ("", "empty action"), ("print(__import__('os'))", "NameError"),
        ]
        for (text, fragment) in cases {
            #expect(throws: ActionParser.ParseError.self, "\(text)") { try ActionParser.parse(text) }
            do {
                _ = try ActionParser.parse(text)
            } catch {
                #expect(error.description.contains(fragment), "\(text): \(error.description)")
            }
        }
    }

    @Test func pythonReprQuotesAsCPython() {
        // Expected: CPython 3.11 repr() of the same strings.
        let cases: [(String, String)] = [
            ("Click Me!", "'Click Me!'"), ("it's", "\"it's\""), ("say \"hi\"", "'say \"hi\"'"),
            ("both ' and \"", #"'both \' and "'"#), ("tab\there\nnew", #"'tab\there\nnew'"#), (#"back\slash"#, #"'back\\slash'"#),
            ("\u{1}ctl", #"'\x01ctl'"#), ("é ü", "'é ü'"),
        ]
        for (input, expected) in cases {
            #expect(AXTreeText.pythonRepr(.string(input)) == expected)
        }
    }

    @Test func axTreeTextLaysOutNodesAsBrowserGym() throws {
        // A tree as Accessibility.getFullAXTree returns it: an ignored wrapper, a generic
        // div without properties (left out, children kept one level up), a button with a
        // bid, static text repeating its parent's name (left out), a checked checkbox.
        let nodes: JSONValue = [
            ["nodeId": "1", "role": ["value": "RootWebArea"], "name": ["value": "Task"], "properties": [["name": "focused", "value": ["value": true]]],
             "childIds": ["2"], "backendDOMNodeId": 1],
            ["nodeId": "2", "parentId": "1", "ignored": true, "role": ["value": "none"], "childIds": ["3"], "backendDOMNodeId": 2],
            ["nodeId": "3", "parentId": "2", "role": ["value": "generic"], "name": ["value": ""], "properties": [], "childIds": ["4", "6"], "backendDOMNodeId": 3],
            ["nodeId": "4", "parentId": "3", "role": ["value": "button"], "name": ["value": "Click Me!"],
             "properties": [["name": "focusable", "value": ["value": true]]], "childIds": ["5"], "backendDOMNodeId": 10],
            ["nodeId": "5", "parentId": "4", "role": ["value": "StaticText"], "name": ["value": "Click Me!"], "childIds": [], "backendDOMNodeId": 11],
            ["nodeId": "6", "parentId": "3", "role": ["value": "checkbox"], "name": ["value": "it's"],
             "properties": [["name": "checked", "value": ["type": "tristate", "value": "true"]]], "childIds": [], "backendDOMNodeId": 12],
        ]
        let text = AXTreeText.render(nodes: nodes.arrayValue!, bids: [10: "13", 12: "14", 3: "5"])
        #expect(text == "RootWebArea 'Task', focused\n\t[13] button 'Click Me!'\n\t[14] checkbox \"it's\", checked='true'")
    }
}

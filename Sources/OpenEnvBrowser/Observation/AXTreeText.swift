import Foundation
import OpenEnvCore

/// The accessibility tree as text, in the layout of BrowserGym's `axtree_txt`: one node
/// per line, indented by a tab per level, `[bid] role 'name'` then the node's value and
/// properties (`, focused`, `, checked='true'`). Strings are quoted as Python's `repr`
/// quotes them. Nodes without a name, of role `none`/`LineBreak`/`InlineTextBox` (the
/// pieces of a static text), generic nodes without
/// properties, and static text repeating its parent's name are left out (their children
/// are kept, one level up).
enum AXTreeText {
    /// Properties BrowserGym leaves out.
    static let ignoredProperties: Set<String> = ["editable", "readonly", "level", "settable", "multiline", "invalid", "focusable"]
    /// Properties shown by name only, when true.
    static let flagProperties: Set<String> = ["required", "focused", "atomic"]

    /// `nodes`: `Accessibility.getFullAXTree`'s; `bids`: backend DOM node id → bid.
    static func render(nodes: [JSONValue], bids: [Int: String]) -> String {
        var byID: [String: JSONObject] = [:]
        var order: [String] = []
        for node in nodes {
            guard let object = node.objectValue, let id = object["nodeId"]?.stringValue else { continue }
            byID[id] = object
            order.append(id)
        }
        guard let rootID = order.first(where: { byID[$0]?["parentId"] == nil }) ?? order.first else { return "" }
        var lines: [String] = []
        var visited: Set<String> = []

        func visit(_ id: String, depth: Int, parentName: String) {
            guard let node = byID[id], visited.insert(id).inserted else { return }
            let role = node["role"]?["value"]?.stringValue ?? ""
            var skip = false
            var name = ""
            if role == "none" || role == "LineBreak" || role == "InlineTextBox" || node["ignored"]?.boolValue == true {
                skip = true
            } else if let nameValue = node["name"]?["value"] {
                name = nameValue.stringValue ?? text(nameValue)
                var attributes: [String] = []
                for property in node["properties"]?.arrayValue ?? [] {
                    guard let key = property["name"]?.stringValue, let value = property["value"]?["value"] else { continue }
                    if ignoredProperties.contains(key) { continue }
                    if flagProperties.contains(key) {
                        if value.boolValue == true { attributes.append(key) }
                    } else {
                        attributes.append("\(key)=\(pythonRepr(value))")
                    }
                }
                if role == "generic" && attributes.isEmpty {
                    skip = true
                } else if role == "StaticText" && !name.isEmpty && parentName.contains(name) {
                    skip = true
                } else if role == "StaticText" && name.trimmingCharacters(in: .whitespaces).isEmpty {
                    skip = true
                }
                if !skip {
                    var line = String(repeating: "\t", count: depth)
                    if let backend = node["backendDOMNodeId"]?.intValue, let bid = bids[backend] { line += "[\(bid)] " }
                    line += role == "generic" && name.isEmpty ? role : "\(role) \(pythonRepr(.string(name.trimmingCharacters(in: .whitespacesAndNewlines))))"
                    if let value = node["value"]?["value"] { line += " value=\(pythonRepr(value))" }
                    for attribute in attributes { line += ", " + attribute }
                    lines.append(line)
                }
            } else {
                skip = true
            }
            for child in node["childIds"]?.arrayValue ?? [] {
                guard let childID = child.stringValue, childID != id else { continue }
                visit(childID, depth: skip ? depth : depth + 1, parentName: name)
            }
        }
        visit(rootID, depth: 0, parentName: "")
        return lines.joined(separator: "\n")
    }

    private static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .bool(let b): b ? "True" : "False"
        default: ""
        }
    }

    /// Python's `repr` of a JSON scalar (``JSONValue/pythonRepr``), except that a whole
    /// double prints as an integer, as BrowserGym prints such properties; arrays and objects
    /// as JSON.
    static func pythonRepr(_ value: JSONValue) -> String {
        switch value {
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .array, .object: JSONWriter().string(value)
        default: value.pythonRepr
        }
    }
}

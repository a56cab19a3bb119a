/// A prompt with `{name}` placeholders, as in Python's `str.format`: `{{` and `}}` stand
/// for literal braces.
///
/// ```swift
/// let template = try PromptTemplate("""
///     Question: {question}
///     Reference answer: {reference}
///     Candidate answer: {answer}
///     Rate the candidate from 0 to 1. Reply with the number only.
///     """)
/// ```
public struct PromptTemplate: Sendable, Equatable {
    private enum Part: Sendable, Equatable {
        case text(String)
        case variable(String)
    }

    public enum Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        /// A `{` or `}` that is neither a placeholder nor doubled, at this character offset.
        case unbalancedBrace(offset: Int)
        /// A placeholder whose value was not supplied.
        case missingVariable(String)

        public var description: String {
            switch self {
            case .unbalancedBrace(let offset): "prompt template: unbalanced brace at character \(offset)"
            case .missingVariable(let name): "prompt template: no value for placeholder {\(name)}"
            }
        }
    }

    public let text: String
    private let parts: [Part]

    /// The placeholder names, in order of first use.
    public var variables: [String] {
        var seen: [String] = []
        for case .variable(let name) in parts where !seen.contains(name) { seen.append(name) }
        return seen
    }

    public init(_ text: String) throws(PromptTemplate.Error) {
        self.text = text
        var parts: [Part] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" {
                if i + 1 < chars.count, chars[i + 1] == "{" {
                    literal.append("{")
                    i += 2
                    continue
                }
                guard let close = chars[(i + 1)...].firstIndex(of: "}") else { throw .unbalancedBrace(offset: i) }
                let name = String(chars[(i + 1)..<close])
                guard !name.isEmpty, !name.contains("{") else { throw .unbalancedBrace(offset: i) }
                if !literal.isEmpty { parts.append(.text(literal)) }
                literal = ""
                parts.append(.variable(name))
                i = close + 1
            } else if c == "}" {
                guard i + 1 < chars.count, chars[i + 1] == "}" else { throw .unbalancedBrace(offset: i) }
                literal.append("}")
                i += 2
            } else {
                literal.append(c)
                i += 1
            }
        }
        if !literal.isEmpty { parts.append(.text(literal)) }
        self.parts = parts
    }

    /// The prompt with every placeholder replaced; throws for a placeholder without a value.
    public func render(_ values: [String: String]) throws(PromptTemplate.Error) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .variable(let name):
                guard let value = values[name] else { throw .missingVariable(name) }
                out += value
            }
        }
        return out
    }
}

import Yams

/// The keys of one YAML mapping, already checked against the keys it allows.
struct Fields {
    /// One `key: value` pair.
    struct Entry {
        let key: String
        let keyNode: Node
        let value: Node
        let path: String
    }

    /// The mapping node; missing keys are reported here.
    let node: Node
    /// Key path of the mapping, e.g. `models[1]`.
    let path: String
    /// Entries by key, in file order.
    let entries: [Entry]

    /// The entry for `key` unless it is absent or its value is null (`key:` or `key: ~`), which means "use the
    /// default".
    subscript(key: String) -> Entry? {
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return entry
    }

    /// The key path of `key` inside this mapping.
    func path(of key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }
}

/// Walks a Yams node tree, converting values and collecting every problem instead of stopping at the first.
struct NodeReader {
    let file: String
    private(set) var issues: [ConfigIssue] = []
    private(set) var warnings: [ConfigIssue] = []

    init(file: String) {
        self.file = file
    }

    // MARK: Reporting

    mutating func report(_ code: ConfigIssue.Code, _ message: String, at node: Node?, path: String) {
        issues.append(issue(code, message, at: node, path: path, severity: .error))
    }

    mutating func warn(_ code: ConfigIssue.Code, _ message: String, at node: Node?, path: String) {
        warnings.append(issue(code, message, at: node, path: path, severity: .warning))
    }

    private func issue(
        _ code: ConfigIssue.Code,
        _ message: String,
        at node: Node?,
        path: String,
        severity: ConfigIssue.Severity
    ) -> ConfigIssue {
        let mark = node?.mark
        return ConfigIssue(
            file: file,
            line: mark?.line ?? 0,
            column: mark?.column ?? 0,
            keyPath: path,
            message: message,
            code: code,
            severity: severity
        )
    }

    mutating func wrongType(expected: String, at node: Node, path: String) {
        report(.wrongType, "expected \(expected), found \(node.typeDescription)", at: node, path: path)
    }

    // MARK: Containers

    /// The mapping's entries, reporting unknown keys (with a hint) and non-string keys.
    mutating func fields(_ node: Node, path: String, allowed: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            wrongType(expected: "a mapping", at: node, path: path)
            return nil
        }
        var entries: [Fields.Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                wrongType(expected: "a string key", at: keyNode, path: path)
                continue
            }
            let key = scalar.string
            let entryPath = path.isEmpty ? key : path + "." + key
            guard allowed.contains(key) else {
                var message = "unknown key '\(key)'"
                if let hint = KeySuggestion.closest(to: key, among: allowed) {
                    message += " (did you mean '\(hint)'?)"
                }
                report(.unknownKey, message, at: keyNode, path: entryPath)
                continue
            }
            entries.append(Fields.Entry(key: key, keyNode: keyNode, value: value, path: entryPath))
        }
        return Fields(node: node, path: path, entries: entries)
    }

    /// The items of a list, or `nil` (reported) when the node is not a list.
    mutating func list(_ node: Node, path: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            wrongType(expected: "a list", at: node, path: path)
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// A required key: reports `missing required key` at the enclosing mapping when absent.
    mutating func required(_ fields: Fields, _ key: String, hint: String = "") -> Fields.Entry? {
        if let entry = fields.entries.first(where: { $0.key == key }) { return entry }
        report(.missingKey, "missing required key '\(key)'\(hint)", at: fields.node, path: fields.path(of: key))
        return nil
    }

    /// A string value: any scalar except null (so `name: 7` is the string "7").
    mutating func string(_ node: Node, path: String) -> String? {
        guard case .scalar(let scalar) = node, !node.isNull else {
            wrongType(expected: "a string", at: node, path: path)
            return nil
        }
        return scalar.string
    }

    mutating func string(_ fields: Fields, _ key: String, default value: String) -> String {
        guard let entry = fields[key] else { return value }
        return string(entry.value, path: entry.path) ?? value
    }

    mutating func bool(_ fields: Fields, _ key: String, default value: Bool) -> Bool {
        guard let entry = fields[key] else { return value }
        guard entry.value.tagName == Tag.Name.bool.rawValue, let bool = entry.value.bool else {
            wrongType(expected: "a boolean (true or false)", at: entry.value, path: entry.path)
            return value
        }
        return bool
    }

    /// A number from 0 to 1 (an integer or a decimal), or `value` when the key is absent or wrong (reported).
    mutating func fraction(_ fields: Fields, _ key: String, default value: Double) -> Double {
        guard let entry = fields[key] else { return value }
        let node = entry.value
        guard node.tagName == Tag.Name.int.rawValue || node.tagName == Tag.Name.float.rawValue,
            let number = node.float
        else {
            wrongType(expected: "a number from 0 to 1", at: node, path: entry.path)
            return value
        }
        guard number.isFinite, (0...1).contains(number) else {
            report(
                .outOfRange, "must be between 0 and 1, found \(node.scalar?.string ?? "")", at: node, path: entry.path)
            return value
        }
        return number
    }

    /// An integer in `range`, or `nil` (reported) when it is not one.
    mutating func int(_ node: Node, path: String, range: ClosedRange<Int>) -> Int? {
        guard node.tagName == Tag.Name.int.rawValue else {
            wrongType(expected: "an integer", at: node, path: path)
            return nil
        }
        guard let int = node.int else {
            report(.outOfRange, "integer too large: \(node.scalar?.string ?? "")", at: node, path: path)
            return nil
        }
        guard range.contains(int) else {
            report(.outOfRange, Self.rangeMessage(range, found: String(int)), at: node, path: path)
            return nil
        }
        return int
    }

    mutating func int(_ fields: Fields, _ key: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let entry = fields[key] else { return value }
        return int(entry.value, path: entry.path, range: range) ?? value
    }

    mutating func optionalInt(_ fields: Fields, _ key: String, range: ClosedRange<Int>) -> Int? {
        guard let entry = fields[key] else { return nil }
        return int(entry.value, path: entry.path, range: range)
    }

    /// An integer in `range`, or nil when the key is absent or says `auto` (a wrong value is reported and gives nil).
    mutating func intOrAuto(_ fields: Fields, _ key: String, range: ClosedRange<Int>) -> Int? {
        guard let entry = fields[key] else { return nil }
        if case .scalar(let scalar) = entry.value, entry.value.tagName == Tag.Name.str.rawValue {
            guard scalar.string == "auto" else {
                wrongType(expected: "an integer or \"auto\"", at: entry.value, path: entry.path)
                return nil
            }
            return nil
        }
        return int(entry.value, path: entry.path, range: range)
    }

    static func rangeMessage(_ range: ClosedRange<Int>, found: String) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (1, Int.max): "must be greater than 0, found \(found)"
        case (0, Int.max): "must not be negative, found \(found)"
        case (let low, Int.max): "must be at least \(low), found \(found)"
        case (let low, let high): "must be between \(low) and \(high), found \(found)"
        }
    }

    /// A duration; zero is accepted only when `allowZero`.
    mutating func duration(_ fields: Fields, _ key: String, default value: Duration, allowZero: Bool) -> Duration {
        guard let entry = fields[key] else { return value }
        let node = entry.value
        guard case .scalar(let scalar) = node, !node.isNull else {
            wrongType(expected: "a duration", at: node, path: entry.path)
            return value
        }
        guard let duration = ConfigDuration.parse(scalar.string) else {
            report(
                .invalidValue,
                "expected a duration such as \"500ms\", \"30s\", \"5m\", \"1h\" or a number of seconds, found "
                    + node.typeDescription,
                at: node,
                path: entry.path
            )
            return value
        }
        if duration < .zero || (duration == .zero && !allowZero) {
            let rule = allowZero ? "must not be negative" : "must be greater than 0"
            report(.outOfRange, "\(rule), found \(scalar.string)", at: node, path: entry.path)
            return value
        }
        return duration
    }

    /// One of an enum's raw values, with a hint when the value is close to one of them.
    mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ fields: Fields,
        _ key: String,
        default value: Choice
    ) -> Choice where Choice.RawValue == String {
        guard let entry = fields[key] else { return value }
        guard let text = string(entry.value, path: entry.path) else { return value }
        if let choice = Choice(rawValue: text) { return choice }
        let names = Choice.allCases.map(\.rawValue)
        var message = "must be one of \(names.dropLast().joined(separator: ", ")) or \(names.last!), found \"\(text)\""
        if let hint = KeySuggestion.closest(to: text, among: names) {
            message += " (did you mean '\(hint)'?)"
        }
        report(.invalidValue, message, at: entry.value, path: entry.path)
        return value
    }
}

extension Node {
    /// The resolved YAML tag, e.g. `tag:yaml.org,2002:int`; quoted scalars are always strings.
    var tagName: String { tag.rawValue }

    var isNull: Bool {
        if case .scalar = self { return tagName == Tag.Name.null.rawValue }
        return false
    }

    /// How a value is described in "expected X, found Y" messages.
    var typeDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            switch tagName {
            case Tag.Name.null.rawValue: return "null"
            case Tag.Name.bool.rawValue: return "boolean \(scalar.string)"
            case Tag.Name.int.rawValue: return "integer \(scalar.string)"
            case Tag.Name.float.rawValue: return "number \(scalar.string)"
            default: return "string \"\(scalar.string)\""
            }
        }
    }
}

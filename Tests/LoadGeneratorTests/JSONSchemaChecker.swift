/// A small JSON Schema checker for the subset Docs/bench-report.schema.json uses: `type` (one or a list),
/// `required`, `properties`, `additionalProperties` (false or a schema), `items`, `enum`, `minimum`, `maximum`
/// and `$ref` to `#/$defs/NAME`. Returns every violation with its JSON path.
struct JSONSchemaChecker {
    let root: JSONValue

    init(schema: String) throws {
        root = try JSONValue.parse(schema)
    }

    func violations(of value: JSONValue) -> [String] {
        var problems: [String] = []
        check(value, against: root, path: "$", problems: &problems)
        return problems
    }

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard case .string(let reference)? = schema["$ref"], reference.hasPrefix("#/$defs/") else { return schema }
        return root["$defs"]?[String(reference.dropFirst("#/$defs/".count))] ?? .object([:])
    }

    private static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(_, let integer): return integer ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    private func check(_ value: JSONValue, against raw: JSONValue, path: String, problems: inout [String]) {
        let schema = resolve(raw)
        let actual = Self.typeName(value)
        if let expected = schema["type"] {
            var allowed: [String] = []
            if case .string(let one) = expected { allowed = [one] }
            if case .array(let many) = expected {
                allowed = many.compactMap { if case .string(let name) = $0 { return name } else { return nil } }
            }
            guard allowed.contains(actual) || (actual == "integer" && allowed.contains("number")) else {
                problems.append("\(path): expected \(allowed.joined(separator: " or ")), found \(actual)")
                return
            }
        }
        if case .array(let options)? = schema["enum"], !options.contains(value) {
            problems.append("\(path): \(value) is not one of the allowed values")
        }
        if let number = value.number {
            if let minimum = schema["minimum"]?.number, number < minimum {
                problems.append("\(path): \(number) is below \(minimum)")
            }
            if let maximum = schema["maximum"]?.number, number > maximum {
                problems.append("\(path): \(number) is above \(maximum)")
            }
        }
        if case .object(let members) = value {
            if case .array(let required)? = schema["required"] {
                for case .string(let key) in required where members[key] == nil {
                    problems.append("\(path): missing required key '\(key)'")
                }
            }
            for (key, member) in members {
                if let property = schema["properties"]?[key] {
                    check(member, against: property, path: "\(path).\(key)", problems: &problems)
                } else if let additional = schema["additionalProperties"], case .object = additional {
                    check(member, against: additional, path: "\(path).\(key)", problems: &problems)
                } else if schema["additionalProperties"] == .bool(false) {
                    problems.append("\(path): unexpected key '\(key)'")
                }
            }
        }
        if case .array(let elements) = value, let items = schema["items"] {
            for (index, element) in elements.enumerated() {
                check(element, against: items, path: "\(path)[\(index)]", problems: &problems)
            }
        }
    }
}

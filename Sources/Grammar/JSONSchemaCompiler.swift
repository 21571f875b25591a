/// Compiles a JSON Schema into a `Grammar` whose every output is a JSON value the schema accepts.
///
/// The subset (anything else is refused with `unsupportedSchema`, naming the keyword and where it is):
/// - `type` (one or a list): `object`, `array`, `string`, `integer`, `number`, `boolean`, `null`;
/// - objects: `properties` (written in the schema's order), `required`, `additionalProperties` (false, or a schema
///   for objects without `properties`; when absent, no other properties are written, which every schema allows);
/// - arrays: `items`, `minItems`, `maxItems`;
/// - strings: `enum`, `const`, `minLength`, `maxLength`, `pattern` (see `PatternCompiler`), `format` `date`,
///   `date-time`, `time`, `uuid`, `email`;
/// - integers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`; numbers: whole-number `minimum` and
///   `maximum`;
/// - `enum`, `const`, `anyOf`, `allOf` with one schema, `$ref` to `#`, `#/$defs/…` or `#/definitions/…`;
/// - annotations (`title`, `description`, `default`, `examples`, `$schema`, `$id`, `$comment`, `deprecated`,
///   `readOnly`, `writeOnly`) are ignored.
public struct JSONSchemaCompiler {
    private var b = GrammarBuilder()
    private let json: JSONGrammarRules
    private let root: SchemaValue
    private let rootRule: GrammarBuilder.Rule
    private var references: [String: GrammarBuilder.Rule] = [:]

    /// The grammar of outputs valid under `schema` (JSON text).
    public static func compile(schemaText: String) throws(GrammarError) -> Grammar {
        try compile(try SchemaValue(parsing: schemaText))
    }

    /// The grammar of outputs valid under `schema`.
    public static func compile(_ schema: SchemaValue) throws(GrammarError) -> Grammar {
        var compiler = JSONSchemaCompiler(root: schema)
        let body = try compiler.symbol(for: schema, at: "#")
        // Whitespace may come first: a SentencePiece model's first token often starts with a space.
        compiler.b.define(compiler.rootRule, [[compiler.json.space, body]])
        return try compiler.b.build(root: compiler.rootRule)
    }

    private init(root: SchemaValue) {
        self.root = root
        json = JSONGrammarRules(&b)
        rootRule = b.declare("root")
    }

    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
        "writeOnly", "$defs", "definitions",
    ]
    static let keywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
        "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "anyOf", "allOf", "$ref",
    ]

    private func unsupported(_ message: String, at path: String) -> GrammarError {
        GrammarError(.unsupportedSchema, "\(path): \(message)")
    }

    private func invalid(_ message: String, at path: String) -> GrammarError {
        GrammarError(.invalidSchema, "\(path): \(message)")
    }

    /// The symbol for a value valid under `schema`, followed by optional space.
    private mutating func symbol(for schema: SchemaValue, at path: String) throws(GrammarError) -> GrammarBuilder.Symbol
    {
        switch schema {
        case .bool(true): return json.value
        case .bool(false): throw invalid("the schema 'false' accepts nothing", at: path)
        case .object(let members):
            for member in members where !Self.keywords.contains(member.key) && !Self.annotations.contains(member.key) {
                throw unsupported("the keyword '\(member.key)' is not supported", at: path)
            }
        default: throw invalid("a schema must be an object or a boolean", at: path)
        }
        if case .string(let reference)? = schema["$ref"] { return .rule(try self.reference(reference, at: path)) }
        if schema["$ref"] != nil { throw invalid("'$ref' must be a string", at: path) }
        if let allOf = schema["allOf"] {
            guard case .array(let parts) = allOf, parts.count == 1, schema.memberCount == 1 else {
                throw unsupported("'allOf' is supported only with exactly one schema and nothing beside it", at: path)
            }
            return try symbol(for: parts[0], at: path + "/allOf/0")
        }
        if let anyOf = schema["anyOf"] {
            guard case .array(let parts) = anyOf, !parts.isEmpty else {
                throw invalid("'anyOf' must be a non-empty list of schemas", at: path)
            }
            var alternatives: [[GrammarBuilder.Symbol]] = []
            for (i, part) in parts.enumerated() {
                alternatives.append([
                    try symbol(for: part.merged(into: schema.without(["anyOf"])), at: path + "/anyOf/\(i)")
                ])
            }
            return .rule(b.rule("anyOf", alternatives))
        }
        if let constant = schema["const"] { return literal(constant) }
        if let values = schema["enum"] {
            guard case .array(let items) = values, !items.isEmpty else {
                throw invalid("'enum' must be a non-empty list", at: path)
            }
            return .rule(b.rule("enum", items.map { [literal($0)] }))
        }
        let types: [String]
        switch schema["type"] {
        case .string(let type)?: types = [type]
        case .array(let list)?:
            types = try list.map { (item: SchemaValue) throws(GrammarError) -> String in
                guard case .string(let type) = item else { throw invalid("'type' lists must hold strings", at: path) }
                return type
            }
        case nil:
            if schema["properties"] != nil || schema["additionalProperties"] != nil {
                types = ["object"]
            } else if schema["items"] != nil {
                types = ["array"]
            } else {
                return json.value
            }
        default: throw invalid("'type' must be a string or a list of strings", at: path)
        }
        var alternatives: [[GrammarBuilder.Symbol]] = []
        for type in types { alternatives.append([try typed(type, schema, at: path)]) }
        return alternatives.count == 1 ? alternatives[0][0] : .rule(b.rule("types", alternatives))
    }

    /// The JSON text of `value` and optional space.
    private mutating func literal(_ value: SchemaValue) -> GrammarBuilder.Symbol {
        .rule(b.rule("literal", [[.text(value.jsonText), json.space]]))
    }

    /// The rule for `$ref`'s target, compiled once.
    private mutating func reference(_ reference: String, at path: String) throws(GrammarError) -> GrammarBuilder.Rule {
        if reference == "#" { return rootRule }
        if let known = references[reference] { return known }
        var target: SchemaValue?
        for prefix in ["#/$defs/", "#/definitions/"] where reference.hasPrefix(prefix) {
            let name = String(reference.dropFirst(prefix.count))
            target = root[String(prefix.dropFirst(2).dropLast())]?[name]
        }
        guard let target else {
            throw unsupported("'$ref' '\(reference)' (only '#', '#/$defs/…' and '#/definitions/…' are)", at: path)
        }
        let rule = b.declare("ref")
        references[reference] = rule
        b.define(rule, [[try symbol(for: target, at: reference)]])
        return rule
    }

    /// The symbol for one `type` of `schema`.
    private mutating func typed(_ type: String, _ schema: SchemaValue, at path: String) throws(GrammarError)
        -> GrammarBuilder.Symbol
    {
        switch type {
        case "object": return try object(schema, at: path)
        case "array": return try array(schema, at: path)
        case "string": return try string(schema, at: path)
        case "integer": return try integer(schema, at: path)
        case "number": return try number(schema, at: path)
        case "boolean": return .rule(b.rule("boolean", [[.text("true"), json.space], [.text("false"), json.space]]))
        case "null": return .rule(b.rule("null", [[.text("null"), json.space]]))
        default: throw invalid("unknown type '\(type)'", at: path)
        }
    }

    private mutating func object(_ schema: SchemaValue, at path: String) throws(GrammarError) -> GrammarBuilder.Symbol {
        let properties: [(key: String, value: SchemaValue)]
        switch schema["properties"] {
        case nil: properties = []
        case .object(let members)?: properties = members
        default: throw invalid("'properties' must be an object", at: path)
        }
        var required: Set<String> = []
        if let list = schema["required"] {
            guard case .array(let names) = list else { throw invalid("'required' must be a list", at: path) }
            for name in names {
                guard case .string(let key) = name else { throw invalid("'required' must list strings", at: path) }
                guard properties.contains(where: { $0.key == key }) else {
                    throw unsupported("required property '\(key)' has no schema in 'properties'", at: path)
                }
                required.insert(key)
            }
        }
        let additional = schema["additionalProperties"]
        if properties.isEmpty {
            switch additional {
            case nil, .bool(true)?: return json.object
            case .bool(false)?:
                return .rule(b.rule("empty-object", [[.text("{"), json.space, .text("}"), json.space]]))
            case let value?:
                let member = [
                    json.string, .text(":"), json.space, try symbol(for: value, at: path + "/additionalProperties"),
                ]
                let members = b.optional(member + [b.zeroOrMore([.text(","), json.space] + member)])
                return .rule(b.rule("map", [[.text("{"), json.space, members, .text("}"), json.space]]))
            }
        }
        if case .object? = additional {
            throw unsupported("'additionalProperties' as a schema beside 'properties'", at: path)
        }
        // tail[i][comma]: properties i… of which the optional ones may be left out; `comma` once one was written.
        var values: [GrammarBuilder.Symbol] = []
        for (key, value) in properties {
            values.append(try symbol(for: value, at: path + "/properties/\(key)"))
        }
        var next: (written: GrammarBuilder.Symbol, fresh: GrammarBuilder.Symbol) = (.literal([]), .literal([]))
        for index in properties.indices.reversed() {
            let key = properties[index].key
            let member: [GrammarBuilder.Symbol] = [literal(.string(key)), .text(":"), json.space, values[index]]
            var written: [[GrammarBuilder.Symbol]] = [[.text(","), json.space] + member + [next.written]]
            var fresh: [[GrammarBuilder.Symbol]] = [member + [next.written]]
            if !required.contains(key) {
                written.append([next.written])
                fresh.append([next.fresh])
            }
            next = (.rule(b.rule("props", written)), .rule(b.rule("props", fresh)))
        }
        return .rule(b.rule("object", [[.text("{"), json.space, next.fresh, .text("}"), json.space]]))
    }

    private mutating func array(_ schema: SchemaValue, at path: String) throws(GrammarError) -> GrammarBuilder.Symbol {
        let item =
            try schema["items"].map { (s: SchemaValue) throws(GrammarError) in try symbol(for: s, at: path + "/items") }
            ?? json.value
        let minimum = try count(schema, "minItems", at: path) ?? 0
        let maximum = try count(schema, "maxItems", at: path)
        if let maximum, maximum < minimum { throw invalid("'maxItems' is below 'minItems'", at: path) }
        let separated: [GrammarBuilder.Symbol] = [.text(","), json.space, item]
        var body: [[GrammarBuilder.Symbol]]
        if maximum == 0 {
            body = [[]]
        } else {
            let rest = b.repeated(separated, minimum: max(0, minimum - 1), maximum: maximum.map { $0 - 1 })
            body = [[item] + rest]
            if minimum == 0 { body.append([]) }
        }
        let items = b.rule("items", body)
        return .rule(b.rule("array", [[.text("["), json.space, .rule(items), .text("]"), json.space]]))
    }

    /// A non-negative whole-number keyword, or nil when absent.
    private func count(_ schema: SchemaValue, _ key: String, at path: String) throws(GrammarError) -> Int? {
        guard let value = schema[key] else { return nil }
        guard case .number(let n, _) = value, n >= 0, n == n.rounded() else {
            throw invalid("'\(key)' must be a whole number ≥ 0", at: path)
        }
        guard n <= 10_000 else { throw unsupported("'\(key)' above 10000", at: path) }
        return Int(n)
    }

    private mutating func string(_ schema: SchemaValue, at path: String) throws(GrammarError) -> GrammarBuilder.Symbol {
        let minimum = try count(schema, "minLength", at: path)
        let maximum = try count(schema, "maxLength", at: path)
        var inside: [GrammarBuilder.Symbol]
        if let pattern = schema["pattern"] {
            guard case .string(let text) = pattern else { throw invalid("'pattern' must be a string", at: path) }
            guard minimum == nil, maximum == nil, schema["format"] == nil else {
                throw unsupported("'pattern' together with 'minLength', 'maxLength' or 'format'", at: path)
            }
            (inside, b) = try PatternCompiler.compile(text, builder: b)
        } else if let format = schema["format"] {
            guard case .string(let name) = format else { throw invalid("'format' must be a string", at: path) }
            guard minimum == nil, maximum == nil else {
                throw unsupported("'format' together with 'minLength' or 'maxLength'", at: path)
            }
            guard let pattern = Self.formats[name] else {
                throw unsupported(
                    "the format '\(name)' (supported: \(Self.formats.keys.sorted().joined(separator: ", ")))", at: path)
            }
            (inside, b) = try PatternCompiler.compile(pattern, builder: b)
        } else {
            if let maximum, let minimum, maximum < minimum {
                throw invalid("'maxLength' is below 'minLength'", at: path)
            }
            inside = b.repeated([json.character], minimum: minimum ?? 0, maximum: maximum)
        }
        return .rule(b.rule("string", [[.text("\"")] + inside + [.text("\""), json.space]]))
    }

    /// The `format`s as patterns whose every match is valid (days limited to what every month and year has).
    static let formats: [String: String] = {
        let date =
            "[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
        let time =
            "(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
        return [
            "date": date, "time": time, "date-time": date + "T" + time,
            "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "email": "[a-zA-Z0-9._+-]{1,32}@[a-zA-Z0-9-]{1,32}(?:\\.[a-zA-Z0-9-]{1,32}){0,3}\\.[a-zA-Z]{2,8}",
        ]
    }()

    /// A whole-number bound, or nil when absent; `exclusive` keywords move it by one.
    private func bound(_ schema: SchemaValue, _ key: String, at path: String) throws(GrammarError) -> Int? {
        guard let value = schema[key] else { return nil }
        guard case .number(let n, _) = value, n == n.rounded(), abs(n) < 1e15 else {
            throw unsupported("'\(key)' other than a whole number", at: path)
        }
        return Int(n)
    }

    private mutating func integer(_ schema: SchemaValue, at path: String) throws(GrammarError) -> GrammarBuilder.Symbol
    {
        var low = try bound(schema, "minimum", at: path)
        var high = try bound(schema, "maximum", at: path)
        if let e = try bound(schema, "exclusiveMinimum", at: path) { low = max(low ?? .min, e + 1) }
        if let e = try bound(schema, "exclusiveMaximum", at: path) { high = min(high ?? .max, e - 1) }
        if low == nil && high == nil { return json.integer }
        if let low, let high, low > high { throw invalid("no integer lies between the bounds", at: path) }
        var alternatives: [[GrammarBuilder.Symbol]] = []
        if (high ?? 0) >= 0 { alternatives += b.naturals(from: max(low ?? 0, 0), through: high) }
        if (low ?? -1) < 0 {
            for digits in b.naturals(from: max(high.map { -$0 } ?? 1, 1), through: low.map { -$0 }) {
                alternatives.append([.text("-")] + digits)
            }
        }
        let text = b.rule("integer-range", alternatives)
        return .rule(b.rule("integer", [[.rule(text), json.space]]))
    }

    private mutating func number(_ schema: SchemaValue, at path: String) throws(GrammarError) -> GrammarBuilder.Symbol {
        for key in ["exclusiveMinimum", "exclusiveMaximum"] where schema[key] != nil {
            throw unsupported("'\(key)' on a number (only on an integer)", at: path)
        }
        let low = try bound(schema, "minimum", at: path)
        let high = try bound(schema, "maximum", at: path)
        if low == nil && high == nil { return json.number }
        if let low, let high, low > high { throw invalid("no number lies between the bounds", at: path) }
        let fraction: [GrammarBuilder.Symbol] =
            [.text(".")] + b.repeated([JSONGrammarRules.digit], minimum: 1, maximum: 15)
        var alternatives: [[GrammarBuilder.Symbol]] = []
        // x = k or k.f with k ≥ 0: k.f needs k ≥ low and k + 1 ≤ high.
        if (high ?? 0) >= 0 {
            alternatives += b.naturals(from: max(low ?? 0, 0), through: high)
            for digits in b.naturals(from: max(low ?? 0, 0), through: high.map { $0 - 1 }) where (high ?? 1) >= 1 {
                alternatives.append(digits + fraction)
            }
        }
        // x = -k or -k.f: -k.f needs k + 1 ≤ -low and k ≥ -high.
        if (low ?? -1) < 0 {
            for digits in b.naturals(from: max(high.map { -$0 } ?? 1, 1), through: low.map { -$0 }) {
                alternatives.append([.text("-")] + digits)
            }
            if (low ?? -1) <= -1 {
                for digits in b.naturals(from: max(high.map { -$0 } ?? 0, 0), through: low.map { -$0 - 1 }) {
                    alternatives.append([.text("-")] + digits + fraction)
                }
            }
        }
        let text = b.rule("number-range", alternatives)
        return .rule(b.rule("number", [[.rule(text), json.space]]))
    }
}

extension SchemaValue {
    /// Number of members of an object (0 otherwise).
    var memberCount: Int {
        if case .object(let members) = self { return members.count }
        return 0
    }

    /// The object without the members `keys`.
    func without(_ keys: Set<String>) -> SchemaValue {
        guard case .object(let members) = self else { return self }
        return .object(members.filter { !keys.contains($0.key) })
    }

    /// This schema object with `base`'s members that it does not set itself (an `anyOf` branch inherits its parent's
    /// keywords).
    func merged(into base: SchemaValue) -> SchemaValue {
        guard case .object(var members) = self, case .object(let inherited) = base else { return self }
        for member in inherited where !members.contains(where: { $0.key == member.key }) {
            if JSONSchemaCompiler.annotations.contains(member.key) { continue }
            members.append(member)
        }
        return .object(members)
    }
}

// The structured-output fields of a request (`response_format`, `tools`, `tool_choice`, `parallel_tool_calls`),
// read from the scanned document on both reading paths: a JSON Schema is kept as JSON text in the order it was
// written (the order of `properties` is the order the output is written in), which `JSONDecoder` cannot give.

import NIOCore

extension OpenAIRequest {
    /// `response_format`.
    public struct ResponseFormat: Equatable, Sendable {
        /// `text`, `json_object` or `json_schema`.
        public var type: String
        /// `json_schema`'s contents, for that type.
        public var jsonSchema: JSONSchemaFormat?

        /// A format of `type`.
        public init(type: String, jsonSchema: JSONSchemaFormat? = nil) {
            self.type = type
            self.jsonSchema = jsonSchema
        }
    }

    /// `response_format.json_schema`.
    public struct JSONSchemaFormat: Equatable, Sendable {
        /// The schema's name.
        public var name: String
        /// The schema as JSON text (`{}` when the request gives none).
        public var schema: String
        /// `strict` as sent (Batchgate enforces every schema it accepts, strict or not).
        public var strict: Bool?

        /// A named schema.
        public init(name: String, schema: String, strict: Bool? = nil) {
            self.name = name
            self.schema = schema
            self.strict = strict
        }
    }

    /// One entry of `tools` (a function).
    public struct Tool: Equatable, Sendable {
        /// The function's name.
        public var name: String
        /// What it does, for the model.
        public var description: String?
        /// Its arguments' JSON Schema as JSON text (`{}` when the request gives none).
        public var parameters: String
        /// `strict` as sent.
        public var strict: Bool?

        /// A function tool.
        public init(name: String, description: String? = nil, parameters: String = "{}", strict: Bool? = nil) {
            self.name = name
            self.description = description
            self.parameters = parameters
            self.strict = strict
        }
    }

    /// `tool_choice`.
    public enum ToolChoice: Equatable, Sendable {
        /// The model answers with text only.
        case none
        /// The model answers with text or calls.
        case auto
        /// The model calls a tool.
        case required
        /// The model calls this function.
        case function(String)
    }

    /// Fills the structured-output fields from `document`, the body as `JSONScanner` read it (nil when it could
    /// not: then `present` says whether any of the fields is in the body, which is refused by name).
    mutating func readStructuredFields(_ document: JSONValue?, present: () -> String?) throws(OpenAIRequestError) {
        guard let document else {
            if let field = present() {
                throw OpenAIRequestError(
                    .invalidRequest,
                    "'\(field)' could not be read: the body repeats a key in one object or nests deeper than "
                        + "\(JSONScanner.maximumDepth) levels", param: field)
            }
            return
        }
        guard case .object(let members) = document else { return }
        for (key, value) in members where value != .null {
            switch key {
            case "response_format": responseFormat = try Self.responseFormat(value)
            case "tools": tools = try Self.tools(value)
            case "tool_choice": toolChoice = try Self.toolChoice(value)
            case "parallel_tool_calls":
                guard case .bool(let flag) = value else { throw Self.typeError("parallel_tool_calls", "a boolean") }
                parallelToolCalls = flag
            default:
                if Self.declines(key, value) { declinedFields.append(key) }
            }
        }
    }

    /// Whether `key: value` asks for something Batchgate does not do (rather than silently not doing it).
    static func declines(_ key: String, _ value: JSONValue) -> Bool {
        switch key {
        case "store": return value == .bool(true)
        case "best_of":
            if case .number(_, let number) = value { return number != 1 }
            return true
        case "suffix": return value != .string("")
        case "modalities": return value != .array([.string("text")])
        case "audio", "prediction", "web_search_options": return true
        default: return false
        }
    }

    static func typeError(_ field: String, _ expected: String) -> OpenAIRequestError {
        OpenAIRequestError(.invalidRequest, "'\(field)' must be \(expected)", param: field)
    }

    private static func member(_ members: [(key: String, value: JSONValue)], _ key: String) -> JSONValue? {
        guard let value = members.first(where: { $0.key == key })?.value, value != .null else { return nil }
        return value
    }

    private static func string(
        _ members: [(key: String, value: JSONValue)], _ key: String, in field: String, required: Bool
    ) throws(OpenAIRequestError) -> String? {
        guard let value = member(members, key) else {
            if required {
                throw OpenAIRequestError(.invalidRequest, "'\(field).\(key)' is required", param: "\(field).\(key)")
            }
            return nil
        }
        guard case .string(let text) = value else { throw typeError("\(field).\(key)", "a string") }
        return text
    }

    private static func flag(_ members: [(key: String, value: JSONValue)], _ key: String, in field: String)
        throws(OpenAIRequestError) -> Bool?
    {
        guard let value = member(members, key) else { return nil }
        guard case .bool(let flag) = value else { throw typeError("\(field).\(key)", "a boolean") }
        return flag
    }

    /// A schema member as JSON text: an object (or `true`, any value), `{}` when absent.
    private static func schema(_ members: [(key: String, value: JSONValue)], _ key: String, in field: String)
        throws(OpenAIRequestError) -> String
    {
        guard let value = member(members, key) else { return "{}" }
        switch value {
        case .object: return value.jsonText
        case .bool(true): return "{}"
        default: throw typeError("\(field).\(key)", "a JSON Schema object")
        }
    }

    static func responseFormat(_ value: JSONValue) throws(OpenAIRequestError) -> ResponseFormat {
        guard case .object(let fields) = value else { throw typeError("response_format", "an object") }
        guard let type = try string(fields, "type", in: "response_format", required: true) else {
            throw typeError("response_format.type", "a string")
        }
        switch type {
        case "text", "json_object": return ResponseFormat(type: type)
        case "json_schema":
            guard let inner = member(fields, "json_schema") else {
                throw OpenAIRequestError(
                    .invalidRequest, "'response_format.json_schema' is required for type 'json_schema'",
                    param: "response_format.json_schema")
            }
            guard case .object(let schemaFields) = inner else {
                throw typeError("response_format.json_schema", "an object")
            }
            let field = "response_format.json_schema"
            let name = try string(schemaFields, "name", in: field, required: true) ?? ""
            return ResponseFormat(
                type: type,
                jsonSchema: JSONSchemaFormat(
                    name: name, schema: try schema(schemaFields, "schema", in: field),
                    strict: try flag(schemaFields, "strict", in: field)))
        default:
            throw OpenAIRequestError(
                .invalidRequest,
                "'response_format.type' is '\(type)'; expected 'text', 'json_object' or 'json_schema'",
                param: "response_format.type")
        }
    }

    static func tools(_ value: JSONValue) throws(OpenAIRequestError) -> [Tool] {
        guard case .array(let items) = value else { throw typeError("tools", "an array") }
        var tools: [Tool] = []
        for (index, item) in items.enumerated() {
            let field = "tools[\(index)]"
            guard case .object(let fields) = item else { throw typeError(field, "an object") }
            let type = try string(fields, "type", in: field, required: true)
            guard type == "function" else {
                throw OpenAIRequestError(
                    .invalidRequest, "'\(field).type' is '\(type ?? "")'; only 'function' tools are supported",
                    param: "\(field).type")
            }
            guard let function = member(fields, "function") else {
                throw OpenAIRequestError(.invalidRequest, "'\(field).function' is required", param: "\(field).function")
            }
            guard case .object(let parts) = function else { throw typeError("\(field).function", "an object") }
            let inner = "\(field).function"
            let name = try string(parts, "name", in: inner, required: true) ?? ""
            tools.append(
                Tool(
                    name: name, description: try string(parts, "description", in: inner, required: false),
                    parameters: try schema(parts, "parameters", in: inner), strict: try flag(parts, "strict", in: inner)
                ))
        }
        return tools
    }

    static func toolChoice(_ value: JSONValue) throws(OpenAIRequestError) -> ToolChoice {
        switch value {
        case .string("none"): return .none
        case .string("auto"): return .auto
        case .string("required"): return .required
        case .object(let fields):
            let type = try string(fields, "type", in: "tool_choice", required: true)
            guard type == "function", let function = member(fields, "function"),
                case .object(let parts) = function
            else {
                throw OpenAIRequestError(
                    .invalidRequest,
                    "'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": "
                        + "{\"name\": …}}", param: "tool_choice")
            }
            return .function(try string(parts, "name", in: "tool_choice.function", required: true) ?? "")
        default:
            throw OpenAIRequestError(
                .invalidRequest,
                "'tool_choice' must be 'none', 'auto', 'required' or {\"type\": \"function\", \"function\": "
                    + "{\"name\": …}}", param: "tool_choice")
        }
    }
}

/// Presence of the structured-output fields, for a body the scanner could not read.
struct StructuredFieldPresence: Decodable {
    var responseFormat: OpenAIRequest.Present?
    var tools: OpenAIRequest.Present?
    var toolChoice: OpenAIRequest.Present?
    var parallelToolCalls: OpenAIRequest.Present?

    var declined: Set<String> = []

    enum CodingKeys: String, CodingKey {
        case tools
        case responseFormat = "response_format"
        case toolChoice = "tool_choice"
        case parallelToolCalls = "parallel_tool_calls"
    }

    /// A key of the body, any name.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        responseFormat = try container.decodeIfPresent(OpenAIRequest.Present.self, forKey: .responseFormat)
        tools = try container.decodeIfPresent(OpenAIRequest.Present.self, forKey: .tools)
        toolChoice = try container.decodeIfPresent(OpenAIRequest.Present.self, forKey: .toolChoice)
        parallelToolCalls = try container.decodeIfPresent(OpenAIRequest.Present.self, forKey: .parallelToolCalls)
        let all = try decoder.container(keyedBy: AnyKey.self)
        for key in ["best_of", "suffix", "modalities", "audio", "prediction", "web_search_options", "store"]
        where all.contains(AnyKey(stringValue: key)) {
            declined.insert(key)
        }
    }

    /// The first field present, by its JSON name.
    var first: String? {
        if responseFormat != nil { return "response_format" }
        if tools != nil { return "tools" }
        if toolChoice != nil { return "tool_choice" }
        if parallelToolCalls != nil { return "parallel_tool_calls" }
        return declined.sorted().first
    }
}

extension JSONValue {
    /// Compact JSON text of the value, members in the order read.
    var jsonText: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let integer, let double):
            if let integer { out += String(integer) } else { out += "\(double)" }
        case .string(let text): Self.writeString(text, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                Self.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// `text` as a JSON string literal, escaped as `JSONWriter` escapes every string the gateway writes.
    static func writeString(_ text: String, to out: inout String) {
        var json = JSONWriter(capacity: text.utf8.count + 2)
        json.string(text)
        out += String(buffer: json.buffer)
    }
}

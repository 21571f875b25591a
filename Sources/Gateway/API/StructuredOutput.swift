import Grammar
import OpenAIAPI
import Scheduler
import Synchronization
import Tokenizers

/// Checks JSON Schemas at the gateway before a request is queued, so that a schema outside the supported subset is a
/// 400 naming the keyword, not a failed sequence; a schema already checked (by its text) is not compiled again.
final class SchemaChecks: Sendable {
    /// The checks of every model's requests.
    static let shared = SchemaChecks()
    /// Schemas remembered at most, and their bytes at most; the memory is emptied when either is reached (a schema
    /// compiles in about a millisecond).
    static let capacity = 512
    static let capacityBytes = 4 << 20
    /// The longest schema text accepted, in bytes: it travels with each sequence's first prompt chunk, and worker
    /// rings are sized for one this long (`WorkerProtocol.OutputConstraintParameters.maxSchemaBytes`).
    static let maxSchemaBytes = 64 * 1024

    private let checked = Mutex<(results: [String: GrammarError?], bytes: Int)>(([:], 0))

    /// Throws the compiler's error (naming the keyword and where it is) unless `schema` is in the supported subset.
    func check(_ schema: String) throws(GrammarError) {
        if let known = checked.withLock({ $0.results[schema] }) {
            if let known { throw known }
            return
        }
        var failure: GrammarError?
        do {
            _ = try JSONSchemaCompiler.compile(schemaText: schema)
        } catch {
            failure = error
        }
        checked.withLock { memory in
            if memory.results.count >= Self.capacity || memory.bytes + schema.utf8.count > Self.capacityBytes {
                memory = ([:], 0)
            }
            memory.results[schema] = failure
            memory.bytes += schema.utf8.count
        }
        if let failure { throw failure }
    }
}

/// How a chat request that offers tools has its answer read.
struct ToolCalling: Sendable {
    /// Whether the output is free (the model may write text or calls, found as its chat format writes them) or
    /// forced to be exactly one call (a grammar of the call's JSON, `{"name": …, "arguments": …}`, without tags).
    enum Mode: Sendable {
        /// `tool_choice` `auto`, ChatML: text, or calls in `<tool_call>` tags.
        case tagged
        /// `tool_choice` `auto`, Llama 3.1: an answer that opens with `{` is a call (`{"name", "parameters"}`),
        /// several separated by `;`; any other answer is text.
        case bare
        /// `tool_choice` `required` or a named function: one call, enforced by a grammar.
        case forced
    }

    /// How the answer is read.
    var mode: Mode
    /// `parallel_tool_calls` (default true): false keeps only the answer's first call.
    var parallel = true
}

extension GenerationPlan {
    /// The constraint `response_format` asks for (nil for text); a schema outside the subset is a 400 naming it.
    static func constraint(_ format: OpenAIRequest.ResponseFormat?) throws(GatewayError) -> GenerationConstraint? {
        guard let format else { return nil }
        switch format.type {
        case "json_object": return .jsonObject
        case "json_schema":
            let schema = format.jsonSchema?.schema ?? "{}"
            try checkSchema(schema, param: "response_format.json_schema.schema")
            return .jsonSchema(schema)
        default: return nil
        }
    }

    /// Throws a 400 naming `param` unless `schema` is small enough and in the supported subset.
    static func checkSchema(_ schema: String, param: String) throws(GatewayError) {
        guard schema.utf8.count <= SchemaChecks.maxSchemaBytes else {
            throw GatewayError(
                .invalidRequest, "'\(param)' is \(schema.utf8.count) bytes; at most \(SchemaChecks.maxSchemaBytes)",
                param: param)
        }
        do {
            try SchemaChecks.shared.check(schema)
        } catch {
            throw GatewayError(.invalidRequest, "'\(param)': \(error.message)", param: param)
        }
    }

    /// The JSON Schema of one call of one of `tools` — `{"name": <const>, "arguments": <the tool's parameters>}`,
    /// `anyOf` for several — with each tool's `$defs` (and `definitions`) moved to the top under a prefix so that
    /// their `$ref`s still resolve.
    static func callSchema(_ tools: [OpenAIRequest.Tool], argumentsKey: String = "arguments") throws(GatewayError)
        -> String
    {
        var branches: [SchemaValue] = []
        var definitions: [(key: String, value: SchemaValue)] = []
        for (index, tool) in tools.enumerated() {
            let param = "tools[\(index)].function.parameters"
            try checkSchema(tool.parameters, param: param)
            let parsed: SchemaValue
            do {
                parsed = try SchemaValue(parsing: tool.parameters)
            } catch {
                throw GatewayError(.invalidRequest, "'\(param)': \(error.message)", param: param)
            }
            let prefix = "t\(index)_"
            guard case .object(var members) = parsed else { continue }
            for key in ["$defs", "definitions"] {
                if case .object(let entries)? = members.first(where: { $0.key == key })?.value {
                    definitions += entries.map {
                        (key: prefix + $0.key, value: rewritingReferences($0.value, prefix: prefix))
                    }
                }
                members.removeAll { $0.key == key }
            }
            let arguments = rewritingReferences(.object(members), prefix: prefix)
            if arguments.jsonText.contains("\"#/$defs/\(prefix)_root\"") {
                definitions.append((key: prefix + "_root", value: arguments))
            }
            branches.append(
                .object([
                    ("type", .string("object")),
                    (
                        "properties",
                        .object([("name", .object([("const", .string(tool.name))])), (argumentsKey, arguments)])
                    ),
                    ("required", .array([.string("name"), .string(argumentsKey)])),
                    ("additionalProperties", .bool(false)),
                ]))
        }
        var schema: [(key: String, value: SchemaValue)] = [(key: "anyOf", value: .array(branches))]
        if branches.count == 1, case .object(let members) = branches[0] { schema = members }
        if !definitions.isEmpty { schema.append(("$defs", .object(definitions))) }
        let text = SchemaValue.object(schema).jsonText
        try checkSchema(text, param: "tools")
        return text
    }

    /// `value` with every `$ref` into its own `$defs`/`definitions` (or to its root, `#`) pointing at the copies
    /// `callSchema` makes under `prefix`.
    static func rewritingReferences(_ value: SchemaValue, prefix: String) -> SchemaValue {
        switch value {
        case .array(let items): return .array(items.map { rewritingReferences($0, prefix: prefix) })
        case .object(let members):
            return .object(
                members.map { member -> (key: String, value: SchemaValue) in
                    if member.key == "$ref", case .string(let target) = member.value {
                        if target == "#" { return (key: member.key, value: .string("#/$defs/\(prefix)_root")) }
                        for old in ["#/$defs/", "#/definitions/"] where target.hasPrefix(old) {
                            return (key: member.key, value: .string("#/$defs/\(prefix)\(target.dropFirst(old.count))"))
                        }
                    }
                    return (key: member.key, value: rewritingReferences(member.value, prefix: prefix))
                })
        default: return value
        }
    }
}

extension SchemaValue {
    /// JSON text as Python's `json.dumps` writes it with `ensure_ascii=False` (`", "` and `": "` between items), which
    /// is how the models' chat templates (`tojson`) write tools and call arguments.
    var pythonJSONText: String {
        switch self {
        case .array(let items): "[" + items.map(\.pythonJSONText).joined(separator: ", ") + "]"
        case .object(let members):
            "{"
                + members.map { SchemaValue.string($0.key).jsonText + ": " + $0.value.pythonJSONText }
                .joined(separator: ", ") + "}"
        default: jsonText
        }
    }

    /// JSON text as Python's `json.dumps(indent=…, ensure_ascii=False)` writes it: each member and item on a line of
    /// its own, indented `indent` spaces a level, `": "` after keys; empty objects and arrays stay `{}` and `[]`.
    func pythonJSONText(indent: Int, level: Int = 0) -> String {
        let inner = "\n" + String(repeating: " ", count: indent * (level + 1))
        let outer = "\n" + String(repeating: " ", count: indent * level)
        switch self {
        case .array(let items) where !items.isEmpty:
            return "["
                + items.map { inner + $0.pythonJSONText(indent: indent, level: level + 1) }.joined(separator: ",")
                + outer + "]"
        case .object(let members) where !members.isEmpty:
            return "{"
                + members.map {
                    inner + SchemaValue.string($0.key).jsonText + ": "
                        + $0.value.pythonJSONText(indent: indent, level: level + 1)
                }.joined(separator: ",") + outer + "}"
        default: return pythonJSONText
        }
    }

    /// `text` parsed and written in `pythonJSONText`'s style, or `text` itself when it is not JSON.
    static func pythonJSONText(of text: String) -> String {
        (try? SchemaValue(parsing: text))?.pythonJSONText ?? text
    }
}

extension OpenAIRequest.Tool {
    /// The tool as its chat template lists it.
    var chatTool: ChatTool {
        var function: [(key: String, value: SchemaValue)] = [(key: "name", value: .string(name))]
        if let description { function.append((key: "description", value: .string(description))) }
        function.append((key: "parameters", value: (try? SchemaValue(parsing: parameters)) ?? .object([])))
        let tool = SchemaValue.object([("type", .string("function")), ("function", .object(function))])
        return ChatTool(name: name, json: tool.pythonJSONText, indentedJSON: tool.pythonJSONText(indent: 4))
    }
}

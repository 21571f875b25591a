import Foundation
import Grammar
import Testing

@testable import Gateway
@testable import OpenAIAPI

/// `response_format`, `tools` and `tool_choice` as a request carries them, and the reading of a tool-calling answer.
@Suite("Structured output requests")
struct StructuredRequestTests {
    static func read(_ body: String) throws -> OpenAIRequest {
        try OpenAIRequest.read(Array(body.utf8), chat: true)
    }

    static func refusal(_ body: String) -> OpenAIRequestError? {
        do {
            _ = try OpenAIRequest.read(Array(body.utf8), chat: true)
            return nil
        } catch {
            return error
        }
    }

    @Test("A json_schema format keeps its schema as JSON text, members in the order written, on both reading paths")
    func schemaText() throws {
        let schema =
            #"{"type":"object","properties":{"z":{"type":"integer","minimum":-5},"a":{"enum":["x",1.5,null,true]}}}"#
        for messages in [
            #"[{"role":"user","content":"hi"}]"#,
            // Content parts: the fast path leaves this body to JSONDecoder.
            #"[{"role":"user","content":[{"type":"text","text":"hi"}]}]"#,
        ] {
            let body =
                #"{"model":"m","messages":\#(messages),"response_format":{"type":"json_schema","json_schema":"#
                + #"{"name":"n","strict":true,"schema":\#(schema)}}}"#
            let request = try Self.read(body)
            #expect(request.responseFormat?.type == "json_schema")
            #expect(request.responseFormat?.jsonSchema == .init(name: "n", schema: schema, strict: true))
            #expect(try OpenAIRequest.readWithFoundation(Array(body.utf8), chat: true) == request)
        }
        let object = try Self.read(#"{"messages":[],"response_format":{"type":"json_object"}}"#)
        #expect(object.responseFormat == .init(type: "json_object"))
    }

    @Test("tools, tool_choice and messages with tool calls and results are read")
    func tools() throws {
        let body = #"""
            {"model":"m","messages":[{"role":"user","content":"weather?"},
            {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
            "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
            {"role":"tool","tool_call_id":"call_1","content":"18C"}],
            "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},
            {"type":"function","function":{"name":"noop"}}],
            "tool_choice":{"type":"function","function":{"name":"get_weather"}},"parallel_tool_calls":false}
            """#
        let request = try Self.read(body)
        #expect(
            request.tools == [
                .init(
                    name: "get_weather", description: "Weather now",
                    parameters: #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#),
                .init(name: "noop"),
            ])
        #expect(request.toolChoice == .function("get_weather"))
        #expect(request.parallelToolCalls == false)
        #expect(
            request.messages?[1].toolCalls == [
                .init(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
            ])
        #expect(request.messages?[1].content == "")
        #expect(request.messages?[2].toolCallID == "call_1")
        for (choice, expected) in [
            (#""none""#, OpenAIRequest.ToolChoice.none), (#""auto""#, .auto), (#""required""#, .required),
        ] {
            #expect(try Self.read(#"{"messages":[],"tool_choice":\#(choice)}"#).toolChoice == expected)
        }
    }

    @Test(
        "Malformed structured fields are refused naming the field",
        arguments: [
            (#""response_format":{"type":"xml"}"#, "response_format.type"),
            (#""response_format":"json""#, "response_format"),
            (#""response_format":{"type":"json_schema"}"#, "response_format.json_schema"),
            (
                #""response_format":{"type":"json_schema","json_schema":{"schema":{}}}"#,
                "response_format.json_schema.name"
            ),
            (
                #""response_format":{"type":"json_schema","json_schema":{"name":"x","schema":[]}}"#,
                "response_format.json_schema.schema"
            ),
            (#""tools":{}"#, "tools"),
            (#""tools":[{"type":"retrieval"}]"#, "tools[0].type"),
            (#""tools":[{"type":"function","function":{"description":"x"}}]"#, "tools[0].function.name"),
            (#""tool_choice":"sometimes""#, "tool_choice"),
            (#""parallel_tool_calls":"yes""#, "parallel_tool_calls"),
        ])
    func refusals(field: String, param: String) {
        let error = Self.refusal(#"{"model":"m","messages":[{"role":"user","content":"x"}],\#(field)}"#)
        #expect(error?.param == param, "\(String(describing: error))")
    }

    // MARK: Tool-call schemas

    @Test("A forced call's schema compiles and accepts only the named functions with valid arguments")
    func callSchema() throws {
        let tools: [OpenAIRequest.Tool] = [
            .init(
                name: "a",
                parameters: ##"{"type":"object","properties":{"n":{"$ref":"#/$defs/small"}},"required":["n"],"##
                    + ##""$defs":{"small":{"type":"integer","minimum":0,"maximum":9}}}"##),
            .init(name: "b", parameters: #"{"type":"object","properties":{"s":{"enum":["x","y"]}},"required":["s"]}"#),
        ]
        let schema = try GenerationPlan.callSchema(tools)
        let automaton = GrammarAutomaton(grammar: try JSONSchemaCompiler.compile(schemaText: schema))
        func accepts(_ text: String) -> Bool {
            automaton.next(automaton.start, bytes: Array(text.utf8)).map(automaton.isAccepting) ?? false
        }
        #expect(accepts(#"{"name": "a", "arguments": {"n": 7}}"#))
        #expect(accepts(#"{"name": "b", "arguments": {"s": "y"}}"#))
        #expect(!accepts(#"{"name": "a", "arguments": {"n": 10}}"#))
        #expect(!accepts(#"{"name": "c", "arguments": {}}"#))
        #expect(!accepts(#"{"name": "b", "arguments": {"n": 1}}"#))
    }

    @Test("A tool whose parameters use an unsupported keyword is refused naming the tool and the keyword")
    func unsupportedParameters() {
        do {
            _ = try GenerationPlan.callSchema([.init(name: "f", parameters: #"{"type":"object","not":{}}"#)])
            Issue.record("accepted")
        } catch {
            #expect(error.param == "tools[0].function.parameters")
            #expect(error.message.contains("'not'"), "\(error.message)")
        }
    }

    // MARK: Reading answers

    /// `text` fed in pieces of `size` bytes (whole characters), outputs merged.
    static func read(_ text: String, mode: ToolCalling.Mode, size: Int, parallel: Bool = true)
        -> [ToolCallStream.Output]
    {
        var reader = ToolCallStream(mode: mode, parallel: parallel)
        var outputs: [ToolCallStream.Output] = []
        var piece = ""
        for character in text {
            piece.append(character)
            if piece.utf8.count >= size {
                outputs += reader.feed(piece)
                piece = ""
            }
        }
        outputs += reader.feed(piece)
        outputs += reader.finish()
        return ToolCallStream.merged(outputs)
    }

    @Test("Calls in tags are found in an answer, whatever the size of its pieces", arguments: [1, 2, 3, 7, 1000])
    func detects(size: Int) {
        let answer =
            "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Pa}ris\", \"d\": [1, {\"x\": \"é\"}]}}\n</tool_call>\n"
            + "<tool_call>\n{\"arguments\": {}, \"name\": \"noop\"}\n</tool_call>"
        #expect(
            Self.read(answer, mode: .tagged, size: size) == [
                .text("Let me check."), .callStart(index: 0, name: "get_weather"),
                .arguments(index: 0, #"{"city": "Pa}ris", "d": [1, {"x": "é"}]}"#),
                .callStart(index: 1, name: "noop"), .arguments(index: 1, "{}"),
            ])
    }

    @Test("Without parallel_tool_calls only the first call is kept", arguments: [1, 1000])
    func oneCall(size: Int) {
        let answer =
            #"<tool_call>{"name": "f", "arguments": {}}</tool_call>\n<tool_call>{"name": "g", "arguments": {}}"#
        #expect(
            Self.read(answer, mode: .tagged, size: size, parallel: false) == [
                .callStart(index: 0, name: "f"), .arguments(index: 0, "{}"),
            ])
        #expect(
            Self.read(
                #"{"name": "f", "parameters": {}}; {"name": "g", "parameters": {}}"#, mode: .bare, size: size,
                parallel: false)
                == [.callStart(index: 0, name: "f"), .arguments(index: 0, "{}")])
    }

    @Test("Text without calls is text, including a '<' that starts no tag and trailing space", arguments: [1, 4, 1000])
    func plainText(size: Int) {
        #expect(Self.read("a < b and <tool\n", mode: .tagged, size: size) == [.text("a < b and <tool\n")])
    }

    @Test("A forced answer is one call without tags; Llama's 'parameters' is read as arguments", arguments: [1, 5])
    func forced(size: Int) {
        #expect(
            Self.read(#" {"name": "f", "parameters": {"q": "x"}}"#, mode: .forced, size: size) == [
                .callStart(index: 0, name: "f"), .arguments(index: 0, #"{"q": "x"}"#),
            ])
    }

    @Test(
        "Llama 3.1's bare calls: an answer opening with '{' is calls separated by ';', any other is text",
        arguments: [1, 6, 1000])
    func bare(size: Int) {
        #expect(
            Self.read(
                #"  {"name": "f", "parameters": {"q": 1}}; {"name": "g", "parameters": {}}"#, mode: .bare, size: size)
                == [
                    .callStart(index: 0, name: "f"), .arguments(index: 0, #"{"q": 1}"#),
                    .callStart(index: 1, name: "g"),
                    .arguments(index: 1, "{}"),
                ])
        #expect(Self.read("It is {sunny}.", mode: .bare, size: size) == [.text("It is {sunny}.")])
        #expect(Self.read(#"{"sunny": true}"#, mode: .bare, size: size) == [.text(#"{"sunny": true}"#)])
    }

    @Test("Tools are written for a template as Python's json.dumps writes them, indented or not")
    func pythonStyle() throws {
        let value = try SchemaValue(parsing: #"{"a":[1,{"b":{}}],"c":[],"d":"é\"x"}"#)
        #expect(value.pythonJSONText == #"{"a": [1, {"b": {}}], "c": [], "d": "é\"x"}"#)
        #expect(
            value.pythonJSONText(indent: 4) == """
                {
                    "a": [
                        1,
                        {
                            "b": {}
                        }
                    ],
                    "c": [],
                    "d": "é\\"x"
                }
                """)
        let schema = try GenerationPlan.callSchema([.init(name: "f")], argumentsKey: "parameters")
        #expect(schema.contains(#""parameters""#) && !schema.contains(#""arguments""#))
    }

    @Test("A call cut off by the token limit keeps what was streamed of its arguments")
    func cutOff() {
        #expect(
            Self.read(#"<tool_call>{"name": "f", "arguments": {"q": "x"#, mode: .tagged, size: 3) == [
                .callStart(index: 0, name: "f"), .arguments(index: 0, #"{"q": "x"#),
            ])
    }
}

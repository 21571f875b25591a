import BatchgateTestSupport
import Foundation
import HummingbirdTesting
import OpenAIAPI
import Testing

/// Structured output through the gateway (HTTP in process, the real engine on the tiny random model):
/// `response_format` and forced tool calls constrain the answer, which validates under its schema.
@Suite("Structured output over HTTP")
struct StructuredOutputHTTPTests {
    static func chat(_ fields: String, messages: String = #"[{"role":"user","content":"Give me JSON"}]"#) -> String {
        #"{"model":"tiny","messages":\#(messages),"temperature":1,\#(fields)}"#
    }

    /// The choices of an SSE body's chunks, in order.
    static func chunks(_ text: String) throws -> [Choice] {
        try text.split(separator: "\n").compactMap { line -> [Choice]? in
            guard line.hasPrefix("data: "), line != "data: [DONE]" else { return nil }
            return try JSONDecoder().decode(CompletionResponse.self, from: Data(line.dropFirst(6).utf8)).choices
        }.flatMap { $0 }
    }

    @Test("Sampled answers at temperature 1 validate under their schemas and stop with 'stop'")
    func schemasValidate() async throws {
        let picked = SchemaSuite.schemas.filter {
            ["enum of strings", "integer range", "string lengths", "refs", "uuid", "array exactly three"].contains(
                $0.name)
        }
        try #require(picked.count == 6)
        let gateway = try TestGateway(context: 512, chatTemplate: .chatml)
        let cases = try await gateway.test { client in
            var cases: [(schema: String, outputs: [String])] = []
            for (name, schema) in picked {
                var outputs: [String] = []
                for seed in 1...4 {
                    let format =
                        #""response_format":{"type":"json_schema","json_schema":{"name":"s","schema":\#(schema)}}"#
                    let response = try await client.post(
                        "/v1/chat/completions", json: Self.chat(format + #","seed":\#(seed),"max_tokens":300"#))
                    #expect(response.status == .ok, "\(name): \(response.text)")
                    let choice = try #require(try response.decode(CompletionResponse.self).choices.first)
                    #expect(choice.finishReason == "stop", "\(name) seed \(seed): \(response.text)")
                    outputs.append(choice.message?.content ?? "")
                }
                cases.append((schema, outputs))
            }
            return cases
        }
        let problems = try SchemaValidator.problems(cases)
        for (index, found) in problems.enumerated() {
            #expect(found.isEmpty, "\(picked[index].name): \(found) in \(cases[index].outputs)")
        }
    }

    @Test("json_object gives an object; the token limit inside it gives 'length'")
    func jsonObjectAndLength() async throws {
        let gateway = try TestGateway(context: 512, chatTemplate: .chatml)
        try await gateway.test { client in
            let schema = #"{"type":"object","properties":{"a":{"type":"string","minLength":40}},"required":["a"]}"#
            let format = #""response_format":{"type":"json_schema","json_schema":{"name":"s","schema":\#(schema)}}"#
            let cut = try await client.post("/v1/chat/completions", json: Self.chat(format + #","max_tokens":4"#))
            let choice = try #require(try cut.decode(CompletionResponse.self).choices.first)
            #expect(choice.finishReason == "length", "\(cut.text)")
            // An incomplete value: blank space at most, then the start of the object.
            let text = choice.message?.content ?? ""
            let value = text.drop { $0.isWhitespace }
            #expect(value.isEmpty || value.hasPrefix("{"), "\(String(reflecting: text))")
            #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) == nil, "\(text) is complete")

            let object = try await client.post(
                "/v1/chat/completions", json: Self.chat(#""response_format":{"type":"json_object"},"max_tokens":300"#))
            let answer = try #require(try object.decode(CompletionResponse.self).choices.first)
            if answer.finishReason == "stop" {
                let text = answer.message?.content ?? ""
                let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
                #expect(parsed is [String: Any], "\(text)")
            } else {
                #expect(answer.finishReason == "length")
            }
        }
    }

    static let weather = #"""
        "tools":[{"type":"function","function":{"name":"get_weather","description":"The weather in a city",
        "parameters":{"type":"object","properties":{"city":{"enum":["Paris","Oslo"]},"days":{"type":"integer",
        "minimum":1,"maximum":7}},"required":["city","days"],"additionalProperties":false}}},
        {"type":"function","function":{"name":"noop","parameters":{"type":"object","properties":{}}}}]
        """#.replacingOccurrences(of: "\n", with: "")

    @Test("A required tool call comes back as tool_calls with finish_reason tool_calls, streamed and not")
    func requiredCall() async throws {
        let gateway = try TestGateway(context: 1024, chatTemplate: .chatml)
        try await gateway.test { client in
            for seed in 1...3 {
                let body = Self.chat(
                    Self.weather + #","tool_choice":{"type":"function","function":{"name":"get_weather"}},"#
                        + #""seed":\#(seed),"max_tokens":200"#)
                let whole = try await client.post("/v1/chat/completions", json: body)
                #expect(whole.status == .ok, "\(whole.text)")
                let choice = try #require(try whole.decode(CompletionResponse.self).choices.first)
                #expect(choice.finishReason == "tool_calls", "\(whole.text)")
                let call = try #require(choice.message?.toolCalls?.first)
                #expect(choice.message?.toolCalls?.count == 1)
                #expect(call.name == "get_weather" && call.type == "function" && call.id?.hasPrefix("call_") == true)
                let arguments = try #require(
                    try JSONSerialization.jsonObject(with: Data((call.arguments ?? "").utf8)) as? [String: Any])
                #expect(["Paris", "Oslo"].contains(arguments["city"] as? String), "\(arguments)")
                #expect((1...7).contains(arguments["days"] as? Int ?? 0), "\(arguments)")
                #expect(whole.text.contains(#""content":null"#), "\(whole.text)")

                // The same request streamed: the first delta names the call, later ones carry its arguments.
                let streamed = try await client.post(
                    "/v1/chat/completions", json: String(body.dropLast()) + #","stream":true}"#)
                let chunks = try Self.chunks(streamed.text)
                let deltas = chunks.compactMap { $0.delta?.toolCalls?.first }
                #expect(deltas.first?.name == "get_weather" && deltas.first?.id?.hasPrefix("call_") == true)
                #expect(deltas.allSatisfy { $0.index == 0 })
                #expect(deltas.compactMap(\.arguments).joined() == call.arguments, "\(streamed.text)")
                #expect(chunks.last?.finishReason == "tool_calls")
            }
        }
    }

    @Test("A tool result and the assistant's call are accepted on the next turn, with tool_choice auto")
    func roundTrip() async throws {
        let gateway = try TestGateway(context: 1024, chatTemplate: .chatml)
        try await gateway.test { client in
            let messages = #"""
                [{"role":"user","content":"Weather in Paris?"},
                {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                "function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"days\": 1}"}}]},
                {"role":"tool","tool_call_id":"call_1","content":"Sunny, 21C"}]
                """#.replacingOccurrences(of: "\n", with: "")
            let response = try await client.post(
                "/v1/chat/completions",
                json: Self.chat(Self.weather + #","tool_choice":"auto","max_tokens":8"#, messages: messages))
            #expect(response.status == .ok, "\(response.text)")
            let choice = try #require(try response.decode(CompletionResponse.self).choices.first)
            #expect(["stop", "length", "tool_calls"].contains(choice.finishReason ?? ""))
            // Tool messages for a chat format that writes none are refused by name.
            let llama = try TestGateway(context: 1024)
            try await llama.test { client in
                let refused = try await client.post(
                    "/v1/chat/completions", json: Self.chat("\"max_tokens\":2", messages: messages))
                #expect(refused.status == .badRequest)
                #expect(try refused.decode(ErrorBody.self).error.param == "messages[1]", "\(refused.text)")
            }
        }
    }
}

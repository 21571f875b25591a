import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenAIAPI
import Testing

/// Every bad request gets its status and OpenAI-shaped error, and the gateway keeps serving after it.
@Suite("Bad requests", .serialized)
struct BadRequestTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var path = "/v1/chat/completions"
        var method: HTTPRequest.Method = .post
        var body: ByteBuffer? = nil
        var key: String? = TestKeys.good
        var status: HTTPResponse.Status
        var type: String
        var code: String
        var param: String? = nil
        var description: String { name }
    }

    static let chat = #"{"model":"tiny","messages":[{"role":"user","content":"hi"}]"#
    static func chat(_ extra: String) -> ByteBuffer { ByteBuffer(string: chat + "," + extra + "}") }
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static let invalid = "invalid_request_error"

    static let cases: [Case] = [
        Case(
            name: "malformed JSON", body: json("{\"model\": "), status: .badRequest, type: invalid, code: "invalid_json"
        ),
        Case(name: "empty body", body: json(""), status: .badRequest, type: invalid, code: "invalid_json"),
        Case(name: "JSON array body", body: json("[1,2]"), status: .badRequest, type: invalid, code: "invalid_request"),
        Case(
            name: "invalid UTF-8",
            body: ByteBuffer(
                bytes: Array("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"".utf8) + [
                    0xC3, 0x28, 0xFF,
                ] + Array("\"}]}".utf8)),
            status: .badRequest, type: invalid, code: "invalid_json"),
        Case(
            name: "model of the wrong type", body: json(#"{"model":7,"messages":[{"role":"user","content":"hi"}]}"#),
            status: .badRequest, type: invalid, code: "invalid_request", param: "model"),
        Case(
            name: "missing model", body: json(#"{"messages":[{"role":"user","content":"hi"}]}"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "model"),
        Case(
            name: "missing messages", body: json(#"{"model":"tiny"}"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "messages"),
        Case(
            name: "empty messages", body: json(#"{"model":"tiny","messages":[]}"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "messages"),
        Case(
            name: "unknown role", body: json(#"{"model":"tiny","messages":[{"role":"wizard","content":"hi"}]}"#),
            status: .badRequest, type: invalid, code: "invalid_request", param: "messages[0].role"),
        Case(
            name: "message without content", body: json(#"{"model":"tiny","messages":[{"role":"user"}]}"#),
            status: .badRequest, type: invalid, code: "invalid_request"),
        Case(
            name: "messages not an array", body: json(#"{"model":"tiny","messages":"hi"}"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "messages"),
        Case(
            name: "negative max_tokens", body: chat(#""max_tokens":-5"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "max_tokens"),
        Case(
            name: "zero max_tokens", body: chat(#""max_tokens":0"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "max_tokens"),
        Case(
            name: "huge max_tokens", body: chat(#""max_tokens":100000000"#), status: .badRequest, type: invalid,
            code: "context_length_exceeded", param: "max_tokens"),
        Case(
            name: "fractional max_tokens", body: chat(#""max_tokens":3.5"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "max_tokens"),
        Case(
            name: "max_tokens as a string", body: chat(#""max_tokens":"ten""#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "max_tokens"),
        Case(
            name: "temperature too high", body: chat(#""temperature":5"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "temperature"),
        Case(
            name: "negative top_p", body: chat(#""top_p":-0.5"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "top_p"),
        Case(
            name: "negative top_k", body: chat(#""top_k":-1"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "top_k"),
        Case(
            name: "presence_penalty out of range", body: chat(#""presence_penalty":3"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "presence_penalty"),
        Case(
            name: "n is 2", body: chat(#""n":2"#), status: .badRequest, type: invalid, code: "invalid_request",
            param: "n"),
        Case(
            name: "five stop strings", body: chat(#""stop":["a","b","c","d","e"]"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "stop"),
        Case(
            name: "top_logprobs without logprobs", body: chat(#""top_logprobs":3"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "top_logprobs"),
        Case(
            name: "top_logprobs too many", body: chat(#""logprobs":true,"top_logprobs":50"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "top_logprobs"),
        Case(
            name: "logit_bias on a token out of range", body: chat(#""logit_bias":{"99999":5}"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "logit_bias"),
        Case(
            name: "prompt token out of range", path: "/v1/completions",
            body: json(#"{"model":"tiny","prompt":[1,2,70000]}"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "prompt"),
        Case(
            name: "prompt over the context", path: "/v1/completions",
            body: json(#"{"model":"tiny","prompt":"# + "\"" + String(repeating: "word ", count: 400) + "\"}"),
            status: .badRequest, type: invalid, code: "context_length_exceeded", param: "prompt"),
        Case(
            name: "missing prompt", path: "/v1/completions", body: json(#"{"model":"tiny"}"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "prompt"),
        Case(
            name: "unknown model", body: json(#"{"model":"nope","messages":[{"role":"user","content":"hi"}]}"#),
            status: .notFound, type: "not_found_error", code: "model_not_found", param: "model"),
        Case(
            name: "no key", body: chat(#""max_tokens":1"#), key: nil, status: .unauthorized,
            type: "authentication_error", code: "missing_api_key"),
        Case(
            name: "wrong key", body: chat(#""max_tokens":1"#), key: "bg-wrong", status: .unauthorized,
            type: "authentication_error", code: "invalid_api_key"),
        Case(
            name: "expired key", body: chat(#""max_tokens":1"#), key: TestKeys.expired, status: .unauthorized,
            type: "authentication_error", code: "invalid_api_key"),
        Case(
            name: "key not allowed this model", body: chat(#""max_tokens":1"#), key: TestKeys.restricted,
            status: .forbidden, type: "permission_error", code: "model_not_allowed", param: "model"),
        Case(
            name: "unknown route", path: "/v1/embeddings", body: json("{}"), status: .notFound, type: "not_found_error",
            code: "route_not_found"),
        Case(
            name: "wrong method", path: "/v1/models", method: .delete, status: .methodNotAllowed, type: invalid,
            code: "method_not_allowed"),
        Case(
            name: "body over the limit (read)", body: ByteBuffer(repeating: UInt8(ascii: " "), count: 2 << 20),
            status: .contentTooLarge, type: invalid, code: "body_too_large"),
        Case(
            name: "raw control character in content",
            body: ByteBuffer(
                string: "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u{01}b\"}]}"),
            status: .badRequest, type: invalid, code: "invalid_json"),
        Case(
            name: "raw NUL in content",
            body: ByteBuffer(string: "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u{0}b\"}]}"),
            status: .badRequest, type: invalid, code: "invalid_json"),
        Case(
            name: "lone surrogate in content",
            body: json(#"{"model":"tiny","messages":[{"role":"user","content":"a\ud800b"}]}"#), status: .badRequest,
            type: invalid, code: "invalid_json"),
        Case(
            name: "fractional seed", body: chat(#""seed":1.5"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "seed"),
        Case(
            name: "max_tokens 10^400", body: chat(#""max_tokens":1"# + String(repeating: "0", count: 400)),
            status: .badRequest, type: invalid, code: "invalid_request", param: "max_tokens"),
        Case(
            name: "max_tokens 1e400", body: chat(#""max_tokens":1e400"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "max_tokens"),
        Case(
            name: "chat logprobs as a string", body: chat(#""logprobs":"yes""#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "logprobs"),
        Case(
            name: "response_format json_schema outside the subset",
            body: chat(#""response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"not":{}}}}"#),
            status: .badRequest, type: invalid, code: "invalid_request", param: "response_format.json_schema.schema"),
        Case(
            name: "response_format of an unknown type", body: chat(#""response_format":{"type":"yaml"}"#),
            status: .badRequest, type: invalid, code: "invalid_request", param: "response_format.type"),
        Case(
            name: "response_format without a type", body: chat(#""response_format":{}"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "response_format.type"),
        Case(
            name: "tools for a chat format that writes none",
            body: chat(#""tools":[{"type":"function","function":{"name":"f","parameters":{}}}]"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "tools"),
        Case(
            name: "tool_choice without tools", body: chat(#""tool_choice":"auto""#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "tool_choice"),
        Case(
            name: "echo true", body: chat(#""echo":true"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "echo"),
        Case(
            name: "best_of 2", body: chat(#""best_of":2"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "best_of"),
        Case(
            name: "suffix", body: chat(#""suffix":"end""#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "suffix"),
        Case(
            name: "audio modality", body: chat(#""modalities":["text","audio"]"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "modalities"),
        Case(
            name: "prediction", body: chat(#""prediction":{"type":"content","content":"x"}"#), status: .badRequest,
            type: invalid, code: "invalid_request", param: "prediction"),
        Case(
            name: "store true", body: chat(#""store":true"#), status: .badRequest, type: invalid,
            code: "invalid_request", param: "store"),
        Case(
            name: "detokenize out of range", path: "/detokenize", body: json(#"{"model":"tiny","tokens":[-3]}"#),
            status: .badRequest, type: invalid, code: "invalid_request", param: "tokens"),
    ]

    @Test("Each bad request gets its status, type and code, and a good request still works after it")
    func table() async throws {
        #expect(Self.cases.count >= 30)
        let gateway = try TestGateway()
        try await gateway.test { client in
            for bad in Self.cases {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let key = bad.key { headers[.authorization] = "Bearer \(key)" }
                let response = try await client.execute(
                    uri: bad.path, method: bad.method, headers: headers, body: bad.body)
                #expect(response.status == bad.status, "\(bad.name): \(response.text)")
                let error = try? response.decode(ErrorBody.self).error
                #expect(error?.type == bad.type, "\(bad.name): \(response.text)")
                #expect(error?.code == bad.code, "\(bad.name): \(response.text)")
                if let param = bad.param { #expect(error?.param == param, "\(bad.name): \(response.text)") }
                #expect(response.headers[HTTPField.Name("x-request-id")!] != nil, "\(bad.name)")
            }
            let good = try await client.post(
                "/v1/chat/completions", json: Self.chat + #","max_tokens":2,"response_format":{"type":"text"}}"#)
            #expect(good.status == .ok, "\(good.text)")
            // The values that ask for nothing more are accepted.
            let defaults = try await client.post(
                "/v1/chat/completions",
                json: Self.chat
                    + #","max_tokens":2,"echo":false,"best_of":1,"suffix":"","modalities":["text"],"store":false}"#)
            #expect(defaults.status == .ok, "\(defaults.text)")
        }
    }

    @Test(
        "Error messages say what is wrong",
        arguments: [
            (chat(#""seed":1.5"#), "'seed' must be an integer, found 1.5"),
            (chat(#""max_tokens":1e400"#), "'max_tokens' is out of range, found 1e400"),
            (chat(#""logprobs":"yes""#), "'logprobs' must be a boolean"),
            (
                json("{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"a\u{0}\"}]}"),
                "unescaped control character U+0000"
            ),
            (json(#"{"model":"tiny","messages":[{"role":"user","content":"\ud800"}]}"#), "lone high surrogate"),
            (
                chat(
                    #""response_format":{"type":"json_schema","json_schema":{"name":"x","schema":"#
                        + #"{"type":"object","properties":{"a":{"type":"integer","multipleOf":3}}}}}"#),
                "'response_format.json_schema.schema': #/properties/a: the keyword 'multipleOf' is not supported"
            ),
            (chat(#""functions":[]"#), "'functions' (deprecated by OpenAI) is not supported: use 'tools'"),
        ])
    func messages(body: ByteBuffer, message: String) async throws {
        let gateway = try TestGateway()
        try await gateway.test { client in
            let response = try await client.post("/v1/chat/completions", json: String(buffer: body))
            let error = try response.decode(ErrorBody.self).error
            #expect(error.message.contains(message), "\(response.text)")
        }
    }

    @Test("Completions' logprobs as a string asks for an integer")
    func completionLogprobs() async throws {
        let gateway = try TestGateway()
        try await gateway.test { client in
            let response = try await client.post(
                "/v1/completions", json: #"{"model":"tiny","prompt":"hi","logprobs":"yes"}"#)
            let error = try response.decode(ErrorBody.self).error
            #expect(error.message.contains("'logprobs' must be an integer"), "\(response.text)")
        }
    }
}

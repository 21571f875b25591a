import Foundation
import Gateway
import OpenAIAPI
import Testing

/// A token limit near `Int.max` is a client's mistake, answered 400 `context_length_exceeded`. It once trapped on an
/// arithmetic overflow in `GenerationPlan` and took the whole gateway down with one request (found while probing
/// the bounds of Docs/openapi.yaml).
@Suite("Token limits that overflow")
struct TokenLimitOverflowTests {
    @Test(
        "max_tokens and max_completion_tokens up to Int64.max are refused by name, and the gateway keeps serving",
        arguments: [
            ("/v1/chat/completions", #""messages":[{"role":"user","content":"hi"}]"#, "max_tokens"),
            ("/v1/chat/completions", #""messages":[{"role":"user","content":"hi"}]"#, "max_completion_tokens"),
            ("/v1/completions", #""prompt":"hi""#, "max_tokens"),
            ("/v1/completions", #""prompt":[1,2,3]"#, "max_completion_tokens"),
        ])
    func hugeLimit(path: String, input: String, field: String) async throws {
        let gateway = try TestGateway()
        try await gateway.test { client in
            for limit in [Int64.max, Int64.max - 1, Int64(Int32.max) + 1, Int64(UInt32.max)] {
                let response = try await client.post(
                    path, json: #"{"model":"tiny",\#(input),"\#(field)":\#(limit)}"#)
                #expect(response.status == .badRequest, "\(limit): \(response.text)")
                let error = try response.decode(ErrorBody.self).error
                #expect(error.code == "context_length_exceeded" && error.param == field, "\(response.text)")
            }
            let good = try await client.post(path, json: #"{"model":"tiny",\#(input),"\#(field)":2}"#)
            #expect(good.status == .ok, "\(good.text)")
        }
    }
}

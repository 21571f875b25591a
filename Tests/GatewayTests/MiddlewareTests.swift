import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OpenAIAPI
import Testing

/// The middleware every route runs behind: the request id, errors as OpenAI shapes them, authentication.
@Suite("Middleware", .serialized)
struct MiddlewareTests {
    static let requestID = HTTPField.Name("x-request-id")!

    @Test("A usable incoming x-request-id is kept, on answers and errors alike; a missing or unusable one is replaced")
    func requestID() async throws {
        try await TestGateway().test { client in
            let kept = try await client.execute(
                uri: "/health/live", method: .get, headers: [Self.requestID: "trace-42"])
            #expect(kept.headers[Self.requestID] == "trace-42")
            let refused = try await client.execute(
                uri: "/v1/models", method: .get, headers: [Self.requestID: "trace-43"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[Self.requestID] == "trace-43")
            let fresh = try await client.execute(uri: "/health/live", method: .get)
            #expect(fresh.headers[Self.requestID]?.count == 22)
            let unusable = try await client.execute(
                uri: "/health/live", method: .get, headers: [Self.requestID: String(repeating: "x", count: 200)])
            #expect(unusable.headers[Self.requestID]?.count == 22)
        }
    }

    @Test("A chat completion's id carries the request id")
    func completionID() async throws {
        try await TestGateway().test { client in
            var headers: HTTPFields = [.contentType: "application/json", Self.requestID: "abc"]
            headers[.authorization] = "Bearer \(TestKeys.good)"
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: headers,
                body: ByteBuffer(
                    string: #"{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":1}"#))
            #expect(try response.decode(CompletionResponse.self).id == "chatcmpl-abc")
        }
    }

    @Test("An unknown path is a 404 and a known one asked with another method a 405, both before authentication")
    func routing() async throws {
        try await TestGateway().test { client in
            let missing = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(missing.status == .notFound)
            #expect(try missing.decode(ErrorBody.self).error.code == "route_not_found")
            let wrong = try await client.execute(uri: "/v1/completions", method: .get)
            #expect(wrong.status == .methodNotAllowed)
            #expect(try wrong.decode(ErrorBody.self).error.message == "/v1/completions takes POST only")
        }
    }
}

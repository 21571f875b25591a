import AsyncHTTPClient
import Foundation
import NIOCore

/// Counts the tokens of a text, the way the target will. The executable supplies one: the model's own tokenizer
/// (`--tokenizer FILE`), or `RemoteTokenCounter`, which asks the target's `/tokenize`.
public protocol TokenCounter: Sendable {
    /// The number of tokens of `text` (without BOS/EOS).
    func count(_ text: String) async throws -> Int
}

/// Counts with the target's `POST /tokenize`: Batchgate's `{"model": M, "prompt": TEXT}`, falling back to
/// llama-server's `{"content": TEXT}`; both answer `{"tokens": [ids]}`.
public struct RemoteTokenCounter: TokenCounter {
    let client: HTTPClient
    let settings: BenchSettings

    /// A counter that asks the target of `settings` through `client`.
    public init(client: HTTPClient, settings: BenchSettings) {
        self.client = client
        self.settings = settings
    }

    /// Asks `/tokenize`; throws `targetUnusable` when neither body form gets a `tokens` array.
    public func count(_ text: String) async throws -> Int {
        let forms: [[String: String]] = [["model": settings.model, "prompt": text], ["content": text]]
        var lastProblem = ""
        for form in forms {
            let body = try JSONSerialization.data(withJSONObject: form)
            let (status, answer) = try await BenchHTTP.post(client, settings: settings, path: "/tokenize", body: body)
            if status == 200, let object = try? JSONSerialization.jsonObject(with: answer) as? [String: Any],
                let tokens = object["tokens"] as? [Any]
            {
                return tokens.count
            }
            lastProblem = "HTTP \(status)"
        }
        throw BenchError(
            .targetUnusable,
            "\(settings.baseURL)/tokenize did not count tokens (\(lastProblem)); give --tokenizer FILE or --prompts FILE"
        )
    }
}

/// Small set-up calls to the target (not the measured requests).
enum BenchHTTP {
    /// A request to `path` with the run's authorization header.
    static func request(settings: BenchSettings, path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: settings.baseURL + path)
        if let key = settings.apiKey { request.headers.add(name: "authorization", value: "Bearer \(key)") }
        return request
    }

    /// POSTs a JSON body; returns the status and the whole answer (at most 64 MiB).
    static func post(
        _ client: HTTPClient, settings: BenchSettings, path: String, body: Data
    ) async throws -> (Int, Data) {
        var request = request(settings: settings, path: path)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(client, request)
    }

    /// GETs `path`; returns the status and the answer.
    static func get(_ client: HTTPClient, settings: BenchSettings, path: String) async throws -> (Int, Data) {
        try await send(client, request(settings: settings, path: path))
    }

    private static func send(_ client: HTTPClient, _ request: HTTPClientRequest) async throws -> (Int, Data) {
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Data(buffer.readableBytesView))
    }

    /// The first model id `GET /v1/models` lists.
    static func firstModel(_ client: HTTPClient, settings: BenchSettings) async throws -> String {
        let (status, answer) = try await get(client, settings: settings, path: "/v1/models")
        guard status == 200, let object = try? JSONSerialization.jsonObject(with: answer) as? [String: Any],
            let models = object["data"] as? [[String: Any]], let id = models.first?["id"] as? String
        else {
            throw BenchError(
                .targetUnusable, "\(settings.baseURL)/v1/models named no model (HTTP \(status)); give --model")
        }
        return id
    }
}

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The test's HTTP client: plain HTTP/1.1 requests to the nodes, with the key a client would send.
final class HTTPClient: Sendable {
    /// One client for the whole test run.
    static let shared = HTTPClient()

    private let session: URLSession

    private init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    /// One answer: the status (0 when no answer came: connection refused or cut), the body, and when the request
    /// was sent.
    struct Answer: Sendable {
        var status: Int
        var body: String
        var sentAt: Date
    }

    /// `GET url`, with `key` as the bearer token when given.
    func get(_ url: URL, key: String? = nil) async -> Answer {
        var request = URLRequest(url: url)
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        return await send(request)
    }

    /// A non-streamed chat completion of `maxTokens` on `model` with `key`.
    func chat(_ node: ClusterNode, key: String, model: String = "tiny", maxTokens: Int = 1) async -> Answer {
        var request = URLRequest(url: node.url("/v1/chat/completions"))
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(
            #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}],"max_tokens":\#(maxTokens)}"#.utf8)
        return await send(request)
    }

    private func send(_ request: URLRequest) async -> Answer {
        let sentAt = Date()
        do {
            let (data, response) = try await session.data(for: request)
            return Answer(
                status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: String(decoding: data, as: UTF8.self),
                sentAt: sentAt)
        } catch {
            return Answer(status: 0, body: "\(error)", sentAt: sentAt)
        }
    }

    /// Starts a streamed chat completion of `maxTokens` with curl in the background, the SSE body going to
    /// `output`; the process ends when the stream does (its status says how).
    static func startStream(
        _ node: ClusterNode, key: String, model: String = "tiny", maxTokens: Int, output: URL
    ) throws -> Process {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = [
            "-s", "-N", "--max-time", "120", "-o", output.path, node.url("/v1/chat/completions").absoluteString,
            "-H", "Authorization: Bearer \(key)", "-H", "Content-Type: application/json", "-d",
            #"{"model":"\#(model)","messages":[{"role":"user","content":"go"}],"stream":true,"ignore_eos":true,"#
                + #""max_tokens":\#(maxTokens)}"#,
        ]
        curl.standardOutput = FileHandle.nullDevice
        curl.standardError = FileHandle.nullDevice
        try curl.run()
        return curl
    }
}

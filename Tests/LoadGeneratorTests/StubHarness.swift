import Foundation
import LoadGenerator
import LoadGeneratorStub

/// Starts a stub, runs loads against it with the load generator, and shuts everything down.
enum StubHarness {
    /// The repository root (for Docs/), found from this file's path.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs `body` with a stub of `behaviour` and a load-generator client.
    static func withStub<T>(
        _ behaviour: StubBehaviour = StubBehaviour(),
        _ body: (StubServer, BenchSession.Client, BenchSettings) async throws -> T
    ) async throws -> T {
        let server = try await StubServer.start(behaviour: behaviour)
        let client = BenchSession.makeClient(insecure: false, connections: 256)
        var settings = BenchSettings(baseURL: "http://127.0.0.1:\(server.port)", model: "stub")
        settings.timeout = .seconds(20)
        do {
            let result = try await body(server, client, settings)
            try await client.shutdown()
            try await server.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            try? await server.shutdown()
            throw error
        }
    }

    /// A pool of `count` synthetic requests (prompt lengths counted by the stub's /tokenize).
    static func pool(
        client: BenchSession.Client, settings: BenchSettings, promptTokens: String = "32", maxTokens: Int,
        count: Int = 8
    ) async throws -> [PreparedRequest] {
        try await PreparedRequest.pool(
            from: .synthetic(
                prompt: try LengthSpec(parsing: promptTokens), output: .fixed(maxTokens),
                counter: RemoteTokenCounter(client: client, settings: settings)),
            count: count, settings: settings, ignoreEOS: true, seed: 7)
    }
}

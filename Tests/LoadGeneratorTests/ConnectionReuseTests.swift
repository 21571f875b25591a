import LoadGenerator
import LoadGeneratorStub
import Testing

/// How the generator copes with the way servers keep (or do not keep) their connections.
@Suite("Connection reuse")
struct ConnectionReuseTests {
    /// llama-server closes the connection after every streamed answer without announcing it; the generator's next
    /// request, sent at once on that pooled connection, meets it closed before any answer. The generator sends such
    /// a request once more on a new connection, so none of them is counted as the server's failure.
    @Test("A server that closes the connection after each stream loses no request")
    func serverClosesAfterEachStream() async throws {
        let (report, connections) = try await StubHarness.withStub(StubBehaviour(closeAfterStream: true)) {
            server, client, base in
            var settings = base
            settings.shape = .concurrency(1)
            settings.requests = 30
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 2, count: 1)
            let report = await BenchSession.run(client: client, settings: settings, pool: pool, seed: 1)
            return (report, server.connectionsAccepted)
        }
        #expect(report.requests_completed == 30)
        #expect(report.errors.isEmpty, "errors: \(report.errors)")
        // The stub did close them: every streamed request (the 30 and the uncounted first one) had its own.
        #expect(connections >= 31, "connections accepted: \(connections)")
    }
}

import LoadGenerator
import Testing

/// How the generator keeps its connections.
@Suite("Connection reuse")
struct ConnectionReuseTests {
    /// Servers close idle keep-alive connections (llama-server and uvicorn after 5 s); a request sent on one at the
    /// moment it closes fails. The generator closes a connection idle for 2 s itself, so requests 2.5 s apart each
    /// open a new one, while back-to-back requests share one.
    @Test("A connection idle for more than 2 s is not reused; a busy one is")
    func idleConnectionsAreClosed() async throws {
        let (report, connections) = try await StubHarness.withStub { server, client, base in
            var settings = base
            settings.shape = .rate(0.4, poisson: false)
            settings.requests = 3
            let pool = try await StubHarness.pool(client: client, settings: settings, maxTokens: 2, count: 1)
            let report = await BenchSession.run(client: client, settings: settings, pool: pool, seed: 1)
            return (report, server.connectionsAccepted)
        }
        #expect(report.requests_completed == 3)
        #expect(report.errors.isEmpty)
        // The pool's /tokenize, the uncounted first request and the first counted one go back to back on one
        // connection; each of the two later requests, 2.5 s after the one before, opens its own.
        #expect(connections == 3, "connections accepted: \(connections)")
    }
}

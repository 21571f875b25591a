import ArgumentParser
import Foundation
import LoadGenerator
import LoadGeneratorStub

/// `batchgate bench stub-server`: the timing stub (first token after 50 ms, then one every 10 ms) on loopback,
/// for benchmarking the load generator itself. Hidden: not a server to serve anything with.
struct BenchStubServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stub-server",
        abstract: "A streaming OpenAI-shaped stub with exact timing, for benchmarking `batchgate bench` itself.",
        shouldDisplay: false
    )

    @Option(help: "Port on 127.0.0.1 (0 picks a free one; the port is printed).")
    var port = 0

    @Option(help: "Delay to the first token.")
    var firstToken = "50ms"

    @Option(help: "Gap between tokens.")
    var interToken = "10ms"

    @Option(help: "Generations at once; the rest wait (default: no limit).")
    var capacity: Int?

    @Option(help: "Event-loop threads.")
    var threads = 1

    @Option(name: .customLong("for"), help: "Stop after this long.")
    var lifetime = "10m"

    func validate() throws {
        guard (0...65535).contains(port), threads >= 1, (capacity ?? 1) >= 1 else {
            throw ValidationError("--port must be 0–65535, --threads and --capacity at least 1")
        }
        _ = try durations()
    }

    private func durations() throws -> (Duration, Duration, Duration) {
        do {
            return (
                try BenchDuration.parse(firstToken), try BenchDuration.parse(interToken),
                try BenchDuration.parse(lifetime)
            )
        } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        let (first, inter, lifetime) = try durations()
        let server = try await StubServer.start(
            port: port, behaviour: StubBehaviour(firstToken: first, interToken: inter, capacity: capacity),
            threads: threads)
        FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(server.port)\n".utf8))
        try? await Task.sleep(for: lifetime)
        try await server.shutdown()
    }
}

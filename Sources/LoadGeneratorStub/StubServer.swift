import NIOCore
import NIOHTTP1
import NIOPosix

/// A plain-HTTP server that answers like an OpenAI-compatible one with exactly known timing: streamed
/// `/v1/completions` and `/v1/chat/completions` (first token after `firstToken`, then one every `interToken`),
/// `/tokenize` (one token per whitespace-separated word) and `/v1/models`. For tests and benchmarks of the load
/// generator only; it listens on loopback.
public final class StubServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let gate: StubGate

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, gate: StubGate) {
        self.port = port
        self.channel = channel
        self.group = group
        self.gate = gate
    }

    /// Starts a server on `host:port` (port 0 picks a free one) with `threads` event-loop threads.
    public static func start(
        host: String = "127.0.0.1", port: Int = 0, behaviour: StubBehaviour = StubBehaviour(), threads: Int = 1
    ) async throws -> StubServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let gate = StubGate(behaviour: behaviour)
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    gate.accepted()
                    return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(StubHandler(gate: gate))
                    }
                }
                .bind(host: host, port: port).get()
            return StubServer(port: channel.localAddress?.port ?? port, channel: channel, group: group, gate: gate)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Generation requests the server has started (admitted past its capacity gate).
    public var generationsStarted: Int { gate.generationsStarted }

    /// Connections the server has accepted.
    public var connectionsAccepted: Int { gate.connectionsAccepted }

    /// Closes the listener and stops the event loops.
    public func shutdown() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

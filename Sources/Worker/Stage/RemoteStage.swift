import Basics
import Foundation
import InferenceCore
import WorkerProtocol

/// The first stage's end of a link to a `batchgate stage` process: a `PipelineStage` whose `runStage` sends the pass
/// and waits for the answer, plus a heartbeat while the link is idle.
///
/// Any failure (the link closes, an answer is late, a heartbeat goes unanswered, the stage reports an error) breaks
/// the link for good and calls `onFailure` once: the worker process exits then, so that the gateway requeues its
/// sequences and starts a new worker, which connects again (Docs/pipeline.md).
public final class RemoteStage: OverlappingStage, @unchecked Sendable {
    /// How a link behaves.
    public struct Timing: Sendable {
        /// Connecting, the hello, sending, and a heartbeat's answer must each take less than this.
        public var linkTimeout: Duration = .seconds(5)
        /// A pass's answer must come within this (a long prompt chunk on a slow stage takes seconds).
        public var passTimeout: Duration = .seconds(120)
        /// A heartbeat goes out after this long without a pass.
        public var heartbeatInterval: Duration = .seconds(2)

        /// The defaults: 5 s link timeout, 120 s per pass, a heartbeat every 2 s.
        public init() {}
    }

    /// What the stage said when the link opened.
    public let hello: StageHello
    /// The blocks it runs.
    public let layerRange: Range<Int>
    /// How the residual stream travels (F32 keeps the unsplit model's bits).
    public let encoding: HiddenEncoding
    private let timing: Timing
    private let socket: any StageConnection
    private let lock = NSLock()
    private var nextPass: UInt64 = 1
    private var lastExchange = ContinuousClock.now
    private var broken: String?
    private let onFailure: @Sendable (String) -> Void
    private let closed = AtomicFlag()
    private var totals = LinkTotals()
    private var outstanding: [Outstanding] = []

    /// Passes (not heartbeats) run on the link so far, and where their time went.
    public struct LinkTotals: Sendable, Equatable {
        /// Passes answered.
        public var passes = 0
        /// Seconds from sending a pass to its answer, summed.
        public var roundTripSeconds = 0.0
        /// Seconds the stage said it computed, summed (the rest of the round trips is the link and the codec).
        public var stageSeconds = 0.0
        /// Bytes sent and received in passes and their answers.
        public var bytes = 0
        /// Seconds the first stage spent blocked waiting for answers (with micro-batches, less than the round trips).
        public var waitSeconds = 0.0

        /// What was added since `earlier`.
        public func since(_ earlier: LinkTotals) -> LinkTotals {
            var difference = LinkTotals()
            difference.passes = passes - earlier.passes
            difference.roundTripSeconds = roundTripSeconds - earlier.roundTripSeconds
            difference.stageSeconds = stageSeconds - earlier.stageSeconds
            difference.bytes = bytes - earlier.bytes
            difference.waitSeconds = waitSeconds - earlier.waitSeconds
            return difference
        }
    }

    /// The link's totals so far.
    public var linkTotals: LinkTotals { lock.withLock { totals } }

    /// Connects to the stage at `host:port` over plain TCP or mutual TLS (`security`; the handshake within the
    /// link timeout) and reads its hello.
    public init(
        host: String, port: Int, encoding: HiddenEncoding = .f32, timing: Timing = Timing(),
        security: StageLinkSecurity = .plain, onFailure: @escaping @Sendable (String) -> Void = { _ in }
    ) throws(StageLinkError) {
        let tcp = try StageSocket.connect(host: host, port: port, timeout: timing.linkTimeout)
        switch security {
        case .plain: socket = tcp
        case .tls(let tls): socket = try TLSStageSocket(over: tcp, host: host, tls: tls, timeout: timing.linkTimeout)
        }
        let received: [UInt8]?
        do throws(StageLinkError) {
            received = try socket.receive(timeout: timing.linkTimeout)
        } catch {
            guard case .plain = security else { throw error }
            // A stage that serves TLS waits for a ClientHello and sends nothing: say so.
            throw StageLinkError(
                "\(error) (this link is plain TCP; a stage started with --tls-certificate waits for a TLS "
                    + "handshake: set models[].pipeline_tls and drop trusted_network from the stage)")
        }
        guard let frame = received else {
            throw StageLinkError("\(host):\(port) closed the link before its hello")
        }
        do {
            hello = try StageHello(decoding: frame)
        } catch {
            throw StageLinkError("\(host):\(port) sent no stage hello: \(error)")
        }
        guard hello.stageVersion == StageHello.currentStageVersion else {
            throw StageLinkError(
                "\(host):\(port) speaks stage version \(hello.stageVersion), this build \(StageHello.currentStageVersion)"
            )
        }
        layerRange = Int(hello.firstLayer)..<Int(hello.endLayer)
        self.encoding = encoding
        self.timing = timing
        self.onFailure = onFailure
        let interval = min(0.25, timing.heartbeatInterval.inSeconds)
        // The thread holds the stage only while it beats, so that dropping the stage closes its link.
        let thread = Thread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                guard let stage = self, stage.beatIfDue() else { return }
            }
        }
        thread.name = "stage heartbeat"
        thread.start()
    }

    deinit { close() }

    /// Stops the heartbeat and closes the link.
    public func close() {
        closed.set()
        lock.withLock { socket.close() }
    }

    /// The stage's address.
    public var peer: String { socket.peer }

    public func runStage(_ batch: StageBatch) throws(EngineError) -> [Float] {
        try send(batch)
        return try receive()
    }

    public func send(_ batch: StageBatch) throws(EngineError) {
        let pass = StageForward(
            passID: 0, releases: batch.releases,
            rows: batch.rows.map {
                StageRow(sequenceID: $0.sequence, position: UInt32(clamping: $0.position), isOutput: $0.isOutput)
            },
            hidden: HiddenRows(encoding: encoding, width: hello.embeddingLength, values: batch.hidden))
        lock.lock()
        defer { lock.unlock() }
        do {
            try sendLocked(pass)
        } catch {
            throw EngineError(.stageFailed, "\(error)")
        }
    }

    public func receive() throws(EngineError) -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try receiveLocked(timeout: timing.passTimeout).values
        } catch {
            throw EngineError(.stageFailed, "\(error)")
        }
    }

    /// A pass sent and not answered yet.
    private struct Outstanding {
        let passID: UInt64
        let started: ContinuousClock.Instant
        let bytes: Int
        let isHeartbeat: Bool
    }

    /// Numbers and sends `pass`; the lock is held. Any failure breaks the link.
    private func sendLocked(_ pass: StageForward) throws(StageLinkError) {
        if let broken { throw StageLinkError(broken) }
        var pass = pass
        pass.passID = nextPass
        nextPass += 1
        let bytes = pass.encoded()
        let started = ContinuousClock.now
        do {
            try socket.send(bytes, timeout: timing.linkTimeout)
        } catch {
            throw fail(error)
        }
        outstanding.append(
            Outstanding(passID: pass.passID, started: started, bytes: bytes.count, isHeartbeat: pass.isHeartbeat))
    }

    /// Waits for the answer to the oldest pass sent; the lock is held. Any failure breaks the link.
    private func receiveLocked(timeout: Duration) throws(StageLinkError) -> HiddenRows {
        if let broken { throw StageLinkError(broken) }
        guard !outstanding.isEmpty else { throw StageLinkError("no pass is waiting for an answer") }
        let pass = outstanding.removeFirst()
        let waiting = ContinuousClock.now
        do {
            guard let frame = try socket.receive(timeout: timeout) else {
                throw StageLinkError("\(socket.peer) closed the link")
            }
            let answer: StageReturn
            do {
                answer = try StageReturn(decoding: frame)
            } catch {
                throw StageLinkError("\(socket.peer) sent an undecodable answer: \(error)")
            }
            guard answer.passID == pass.passID else {
                throw StageLinkError("\(socket.peer) answered pass \(answer.passID), expected \(pass.passID)")
            }
            if let failure = answer.failure { throw StageLinkError("\(socket.peer) failed the pass: \(failure)") }
            lastExchange = .now
            if !pass.isHeartbeat {
                totals.passes += 1
                totals.roundTripSeconds += (lastExchange - pass.started).inSeconds
                totals.stageSeconds += Double(answer.stageNanoseconds) / 1e9
                totals.bytes += pass.bytes + frame.count
                totals.waitSeconds += (lastExchange - waiting).inSeconds
            }
            return answer.hidden
        } catch {
            throw fail(error)
        }
    }

    /// Breaks the link for good because of `error`: closes it and calls `onFailure` (once); the lock is held.
    private func fail(_ error: any Error) -> StageLinkError {
        if let broken { return StageLinkError(broken) }
        let reason = "stage \(layerRange.lowerBound)-\(layerRange.upperBound - 1) at \(error)"
        broken = reason
        socket.close()
        onFailure(reason)
        return StageLinkError(reason)
    }

    /// Sends a heartbeat (a pass with no rows) and waits for its answer when the link has been idle for an interval
    /// with no pass outstanding; false once the link is closed or broken.
    private func beatIfDue() -> Bool {
        guard !closed.isSet else { return false }
        return lock.withLock {
            guard broken == nil else { return false }
            if outstanding.isEmpty, ContinuousClock.now - lastExchange >= timing.heartbeatInterval {
                _ = try? sendLocked(.heartbeat(passID: 0, width: hello.embeddingLength))
                _ = try? receiveLocked(timeout: timing.linkTimeout)
            }
            return broken == nil
        }
    }
}

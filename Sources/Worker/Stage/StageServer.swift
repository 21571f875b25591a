import Basics
import Foundation
import GGUF
import InferenceCore
import WorkerProtocol

/// `batchgate stage`: serves one contiguous range of a model's blocks to the pipeline's first stage over TCP.
///
/// One link at a time (a pipeline has one first stage). Each link starts with an empty KV cache: the stage sends
/// `StageHello`, then answers every `StageForward` with a `StageReturn` (`Engine.runStage`), and a heartbeat (a
/// pass with no rows) at once. A link that sends nothing for `idleTimeout` (three missed heartbeats), closes, or
/// breaks the protocol is dropped with its sequences, and the stage waits for the next one: the first stage
/// recomputes what it had (Docs/pipeline.md).
public final class StageServer: Sendable {
    /// What the stage serves and how.
    public struct Options: Sendable {
        /// The model file, the whole of it (the stage maps it and reads only its blocks' pages).
        public var modelPath: String
        /// The blocks it runs; never the first (block 0 belongs to the first stage, which embeds).
        public var layers: Range<Int>
        /// Compute threads.
        public var threads: Int
        /// KV cache for its blocks, in MiB.
        public var kvCacheMiB: Int
        /// Longest sequence; nil: the model's.
        public var contextLength: Int?
        /// A link silent this long is dropped.
        public var idleTimeout: Duration
        /// Mutual TLS (a server context): every link must complete a handshake with a client certificate that
        /// chains to its CA within the idle timeout; nil: plain TCP, on a trusted network only.
        public var tls: StageTLS?

        /// Options from their parts.
        public init(
            modelPath: String, layers: Range<Int>, threads: Int = 2, kvCacheMiB: Int = 256, contextLength: Int? = nil,
            idleTimeout: Duration = .seconds(15), tls: StageTLS? = nil
        ) {
            self.modelPath = modelPath
            self.layers = layers
            self.threads = threads
            self.kvCacheMiB = kvCacheMiB
            self.contextLength = contextLength
            self.idleTimeout = idleTimeout
            self.tls = tls
        }
    }

    /// The setup.
    public let options: Options
    /// The mapped blocks.
    public let weights: ModelWeights
    /// Set to stop `serve` at its next wake-up (within a second).
    private let stopped = AtomicFlag()

    /// Maps the model's blocks `options.layers`; throws a clear error for a file or range the engine cannot run.
    public init(_ options: Options) throws(EngineError) {
        self.options = options
        weights = try ModelWeights(path: options.modelPath, layers: options.layers)
        guard options.layers.lowerBound > 0 else {
            throw EngineError(
                .invalidModel,
                "a stage cannot start at layer 0: the first stage is the gateway's worker, which embeds the tokens")
        }
    }

    /// Asks `serve` to return.
    public func stop() { stopped.set() }

    /// The engine options of a stage: no prefix caching (the first stage decides what is computed).
    var engineOptions: EngineOptions {
        var engine = EngineOptions()
        engine.threads = options.threads
        engine.kvCacheMiB = options.kvCacheMiB
        engine.contextLength = options.contextLength
        engine.prefixCaching = false
        return engine
    }

    /// Accepts links on `listener` one after the other until `stop()`; `say` writes a log line. With TLS, a
    /// client that fails the handshake (no certificate, another CA, no TLS) is refused with a line saying why, and
    /// the next one is served.
    public func serve(_ listener: StageListener, say: @escaping @Sendable (String) -> Void) throws(StageLinkError) {
        while !stopped.isSet {
            guard let socket = try listener.accept(timeout: .seconds(1)) else { continue }
            let link: any StageConnection
            if let tls = options.tls {
                do {
                    link = try TLSStageSocket(over: socket, tls: tls, timeout: options.idleTimeout)
                } catch {
                    say("link from \(socket.peer) refused: \(error)")
                    continue
                }
                say("link from \(link.peer) open (mutual TLS)")
            } else {
                link = socket
                say("link from \(link.peer) open")
            }
            do {
                try serve(link)
                say("link from \(link.peer) closed")
            } catch {
                say("link from \(link.peer) dropped: \(error)")
            }
            link.close()
        }
    }

    /// Answers one link until it closes; every sequence of the link is forgotten afterwards.
    func serve(_ link: any StageConnection) throws(StageLinkError) {
        let engine = Engine(weights: weights, options: engineOptions)
        let h = weights.hyperparameters
        let hello = StageHello(
            processID: getpid(), modelName: weights.file.metadata.string("general.name") ?? "",
            layerCount: UInt32(h.blockCount), firstLayer: UInt32(options.layers.lowerBound),
            endLayer: UInt32(options.layers.upperBound), embeddingLength: UInt32(h.embeddingLength),
            contextLength: UInt32(clamping: engine.contextLength),
            kvBlocksTotal: UInt32(clamping: engine.kvCache.blockCount),
            kvBlockSize: UInt32(clamping: engine.kvCache.blockSize))
        try link.send(hello.encoded(), timeout: options.idleTimeout)
        var heard = ContinuousClock.now
        while !stopped.isSet {
            // Wake up every 200 ms to notice `stop()`; a link silent for the idle timeout is dropped.
            guard link.isReadable(within: .milliseconds(200)) else {
                if ContinuousClock.now - heard >= options.idleTimeout {
                    throw StageLinkError("\(link.peer): nothing for \(options.idleTimeout), not even a heartbeat")
                }
                continue
            }
            guard let frame = try link.receive(timeout: options.idleTimeout) else { return }
            heard = .now
            let pass: StageForward
            do {
                pass = try StageForward(decoding: frame)
            } catch {
                throw StageLinkError("undecodable pass (\(frame.count) bytes): \(error)")
            }
            let answer = Self.answer(pass, engine: engine)
            try link.send(answer.encoded(), timeout: options.idleTimeout)
        }
    }

    /// The answer to `pass` on `engine`: the rows after its blocks, in the pass's encoding, or the engine's error.
    static func answer(_ pass: StageForward, engine: Engine) -> StageReturn {
        let width = pass.hidden.width
        guard !pass.isHeartbeat else {
            return StageReturn(
                passID: pass.passID, hidden: HiddenRows(encoding: pass.hidden.encoding, width: width, values: []))
        }
        let batch = StageBatch(
            rows: pass.rows.map {
                StageBatch.Row(sequence: $0.sequenceID, position: Int($0.position), isOutput: $0.isOutput)
            },
            hidden: pass.hidden.values, releases: pass.releases)
        do {
            let started = ContinuousClock.now
            let hidden = try engine.runStage(batch)
            return StageReturn(
                passID: pass.passID, stageNanoseconds: UInt64(max(0, (ContinuousClock.now - started).inNanoseconds)),
                hidden: HiddenRows(encoding: pass.hidden.encoding, width: width, values: hidden))
        } catch {
            return StageReturn(
                passID: pass.passID, failure: "\(error.code.rawValue): \(error.detail)",
                hidden: HiddenRows(encoding: pass.hidden.encoding, width: width, values: []))
        }
    }
}

/// A flag one thread sets and others read.
final class AtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Sets the flag.
    func set() { lock.withLock { value = true } }

    /// Whether the flag is set.
    var isSet: Bool { lock.withLock { value } }
}

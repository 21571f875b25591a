import Glibc
import WorkerProtocol

/// A deterministic stand-in for a worker's engine: it keeps a paged KV cache of its own, checks every step against
/// the worker's limits and the protocol's rules, and "samples" a token that depends only on the sequence's tokens
/// so far, so a recomputed sequence continues exactly as it would have. It runs no model: it serves the scheduler's
/// tests and the gateway's overhead benchmark (`batchgate worker --fake-engine`), never a client.
///
/// Not `Sendable`: one owner drives it (a worker loop, or a test behind a lock).
public final class FakeEngine: StepHandling {
    /// One held sequence.
    public struct Held: Sendable {
        var tokens: [Int32]
        var pending: Int32?
        var maxTokens: Int
        var ignoreEOS: Bool
        var generated = 0
        var finished = false
    }

    /// KV cache blocks in all.
    public let kvBlocksTotal: Int
    /// Tokens per KV block.
    public let kvBlockSize: Int
    /// The most tokens one step may carry.
    public let maxBatchTokens: Int
    /// The most sequences held at once.
    public let maxRunning: Int
    /// The context length `Hello` reports.
    public let contextLength: Int
    /// Token that ends a sequence (sampled when the history hash says so, unless `ignoreEOS`).
    public let endOfSequence: Int32 = 2
    /// The sequences held, by id.
    public private(set) var held: [UInt64: Held] = [:]
    /// Every breach of the limits or the protocol seen so far, in words.
    public private(set) var violations: [String] = []
    /// Steps handled.
    public private(set) var steps = 0

    /// A fake engine with these limits.
    public init(
        kvBlocksTotal: Int, kvBlockSize: Int, maxBatchTokens: Int, maxRunning: Int, contextLength: Int = 4096
    ) {
        self.kvBlocksTotal = kvBlocksTotal
        self.kvBlockSize = kvBlockSize
        self.maxBatchTokens = maxBatchTokens
        self.maxRunning = maxRunning
        self.contextLength = contextLength
    }

    /// The handshake of a fake worker (pid 1, model "fake").
    public var hello: Hello { hello(modelName: "fake", maxBatchTokens: maxBatchTokens) }

    /// The handshake, naming `modelName`.
    public func hello(modelName: String, maxBatchTokens: Int) -> Hello {
        Hello(
            processID: getpid(), modelName: modelName, architecture: "fake", vocabularySize: 1000,
            contextLength: UInt32(contextLength), kvBlockSize: UInt32(kvBlockSize),
            kvBlocksTotal: UInt32(kvBlocksTotal), maxBatchTokens: UInt32(maxBatchTokens))
    }

    /// KV blocks the held sequences use.
    public var blocksInUse: Int { held.values.reduce(0) { $0 + blocks($1.tokens.count) } }
    func blocks(_ tokens: Int) -> Int { (tokens + kvBlockSize - 1) / kvBlockSize }

    /// The token a sequence with history `tokens` produces next.
    public static func nextToken(after tokens: [Int32]) -> Int32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for token in tokens.suffix(8) {
            hash = (hash ^ UInt64(UInt32(bitPattern: token))) &* 0x100_0000_01b3
        }
        hash ^= UInt64(tokens.count)
        hash = (hash ^ (hash >> 29)) &* 0xbf58_476d_1ce4_e5b9
        return hash % 64 == 0 ? 2 : Int32(3 + hash % 997)
    }

    private func violate(_ text: String) { violations.append(text) }

    /// Runs one step: records admissions, decodes and releases, and samples one token per producing sequence.
    public func handle(_ step: Step) -> StepResult {
        steps += 1
        for id in step.release { held[id] = nil }
        let tokens = step.admit.reduce(0) { $0 + $1.tokens.count } + step.decode.count
        if tokens > maxBatchTokens { violate("step \(step.stepID) carries \(tokens) tokens > \(maxBatchTokens)") }
        var producing: [UInt64] = []
        for admission in step.admit {
            var entry: Held
            if let sampling = admission.sampling {
                if held[admission.sequenceID] != nil { violate("duplicate admission of \(admission.sequenceID)") }
                if admission.firstPosition != 0 { violate("first chunk of \(admission.sequenceID) not at 0") }
                entry = Held(tokens: [], maxTokens: Int(sampling.maxTokens), ignoreEOS: sampling.ignoreEOS)
            } else if let existing = held[admission.sequenceID] {
                entry = existing
                if Int(admission.firstPosition) != entry.tokens.count {
                    violate(
                        "chunk of \(admission.sequenceID) at \(admission.firstPosition), holds \(entry.tokens.count)")
                }
            } else {
                violate("continuation chunk for unknown \(admission.sequenceID)")
                continue
            }
            entry.tokens += admission.tokens
            held[admission.sequenceID] = entry
            if admission.isLastChunk { producing.append(admission.sequenceID) }
        }
        for id in step.decode {
            guard var entry = held[id], let pending = entry.pending, !entry.finished else {
                violate("decode of \(id) without a pending token")
                continue
            }
            entry.tokens.append(pending)
            entry.pending = nil
            held[id] = entry
            producing.append(id)
        }
        let running = held.count
        if running > maxRunning { violate("\(running) sequences held > max running \(maxRunning)") }
        if blocksInUse > kvBlocksTotal { violate("\(blocksInUse) KV blocks in use > \(kvBlocksTotal)") }

        var sampled: [SampledToken] = []
        for id in producing {
            var entry = held[id]!
            let token = Self.nextToken(after: entry.tokens)
            entry.generated += 1
            entry.pending = token
            var finish: FinishReason?
            if token == endOfSequence && !entry.ignoreEOS {
                finish = .endOfSequence
            } else if entry.generated >= entry.maxTokens {
                finish = .maxTokens
            }
            entry.finished = finish != nil
            held[id] = entry
            sampled.append(
                SampledToken(
                    sequenceID: id, token: token, kvBlocksHeld: UInt32(blocks(entry.tokens.count)), finish: finish))
        }
        return StepResult(
            stepID: step.stepID, tokens: sampled, forwardNanoseconds: 1000,
            kvBlocksFree: UInt32(max(0, kvBlocksTotal - blocksInUse)))
    }

    /// What the sequence would produce alone: `maxTokens` tokens after `prompt`, stopping at EOS unless
    /// `ignoreEOS`.
    public static func expectedTokens(prompt: [Int32], maxTokens: Int, ignoreEOS: Bool = false) -> [Int32] {
        var history = prompt
        var out: [Int32] = []
        while out.count < maxTokens {
            let token = nextToken(after: history)
            out.append(token)
            history.append(token)
            if token == 2 && !ignoreEOS { break }  // the fake's end of sequence
        }
        return out
    }
}

import Basics
import WorkerProtocol

/// The seeded generator (Basics' SplitMix64), so every run of the tests sees the same messages.
typealias SeededGenerator = SplitMix64

/// Random valid messages; `scale` bounds the lengths of lists.
struct RandomMessages {
    var generator: SeededGenerator
    var scale: Int

    init(seed: UInt64, scale: Int = 8) {
        generator = SeededGenerator(seed: seed)
        self.scale = scale
    }

    mutating func message() -> WorkerMessage {
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: .hello(hello())
        case 1: .step(step())
        default: .stepResult(stepResult())
        }
    }

    mutating func hello() -> Hello {
        Hello(
            protocolVersion: .random(in: 0...UInt16.max, using: &generator), processID: int32(),
            modelName: text(), architecture: text(), vocabularySize: uint32(), contextLength: uint32(),
            kvBlockSize: uint32(), kvBlocksTotal: uint32(), maxBatchTokens: uint32())
    }

    mutating func step() -> Step {
        Step(
            stepID: uint64(), admit: list { $0.admission() }, decode: list { $0.uint64() },
            release: list { $0.uint64() })
    }

    mutating func admission() -> Admission {
        Admission(
            sequenceID: uint64(), firstPosition: uint32(), tokens: list { $0.token() }, isLastChunk: bool(),
            sampling: bool() ? sampling() : nil)
    }

    mutating func sampling() -> SamplingParameters {
        SamplingParameters(
            temperature: float(), topK: uint32(), topP: float(), minP: float(), seed: uint64(),
            repetitionPenalty: float(), presencePenalty: float(), frequencyPenalty: float(),
            logitBias: list { LogitBias(token: $0.token(), bias: $0.float()) }, logprobs: bool(),
            topLogprobs: .random(in: 0...SamplingParameters.maxTopLogprobs, using: &generator),
            maxTokens: uint32(), ignoreEOS: bool(), stopTokens: list { $0.token() }, constraint: constraint())
    }

    /// No constraint, any JSON object, or a schema of random text, each a third of the time.
    mutating func constraint() -> OutputConstraintParameters? {
        switch Int.random(in: 0..<3, using: &generator) {
        case 0: nil
        case 1: OutputConstraintParameters(.jsonObject, generatedPrefix: uint32())
        default: OutputConstraintParameters(.jsonSchema(text()), generatedPrefix: uint32())
        }
    }

    mutating func stepResult() -> StepResult {
        StepResult(
            stepID: uint64(), tokens: list { $0.sampledToken() }, errors: list { $0.sequenceError() },
            forwardNanoseconds: uint64(), kvBlocksFree: uint32(), kvBlocksCached: uint32(), kvEvictions: uint32(),
            prefixHits: list { PrefixHit(sequenceID: $0.uint64(), position: $0.uint32(), cachedTokens: $0.uint32()) })
    }

    mutating func sampledToken() -> SampledToken {
        SampledToken(
            sequenceID: uint64(), token: token(), logprob: float(),
            topLogprobs: list { TokenLogprob(token: $0.token(), logprob: $0.float()) }, kvBlocksHeld: uint32(),
            finish: bool() ? FinishReason.allCases.randomElement(using: &generator) : nil)
    }

    mutating func sequenceError() -> SequenceError {
        SequenceError(
            sequenceID: uint64(), code: SequenceError.Code.allCases.randomElement(using: &generator)!,
            message: text())
    }

    mutating func list<T>(_ element: (inout RandomMessages) -> T) -> [T] {
        let count = Int.random(in: 0...scale, using: &generator)
        var values: [T] = []
        for _ in 0..<count { values.append(element(&self)) }
        return values
    }

    mutating func bool() -> Bool { Bool.random(using: &generator) }
    mutating func uint32() -> UInt32 { .random(in: 0...UInt32.max, using: &generator) }
    mutating func uint64() -> UInt64 { generator.next() }
    mutating func int32() -> Int32 { .random(in: Int32.min...Int32.max, using: &generator) }
    mutating func token() -> Int32 { .random(in: 0...Int32.max, using: &generator) }

    /// Any float but NaN: ordinary values, zeros of both signs, infinities, subnormals.
    mutating func float() -> Float {
        switch Int.random(in: 0..<8, using: &generator) {
        case 0: return -.infinity
        case 1: return .infinity
        case 2: return -0.0
        case 3: return .leastNonzeroMagnitude
        default:
            let value = Float(bitPattern: uint32())
            return value.isNaN ? 1.5 : value
        }
    }

    /// ASCII, multi-byte scalars and emoji.
    mutating func text() -> String {
        let pieces = ["a", "Z", "0", " ", "é", "ß", "中", "🦙", "\u{0}", "\n", "llama", "qwen2"]
        var text = ""
        for _ in 0..<Int.random(in: 0...scale, using: &generator) {
            text += pieces.randomElement(using: &generator)!
        }
        return text
    }
}

extension WorkerMessage {
    /// The encoding as a fresh array.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        encode(into: &bytes)
        return bytes
    }
}

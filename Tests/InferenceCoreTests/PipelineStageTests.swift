import BatchgateTestSupport
import Testing

@testable import InferenceCore

/// A model split into pipeline stages (contiguous layer ranges, each an engine with the KV cache of its own blocks)
/// must compute exactly what the unsplit model computes: the same logits, bit for bit, so the same greedy tokens.
@Suite("Pipeline stages", .enabled(if: EngineTestSupport.haveVocabs))
struct PipelineStageTests {
    /// The unsplit engine and one split at `boundaries` (e.g. [2, 4] for three stages of a six-layer model).
    static func engines(path: String, boundaries: [Int], options: EngineOptions) throws -> (
        unsplit: Engine, split: Engine
    ) {
        let whole = try ModelWeights(path: path)
        let n = whole.hyperparameters.blockCount
        let edges = [0] + boundaries + [n]
        let first = Engine(weights: try ModelWeights(path: path, layers: edges[0]..<edges[1]), options: options)
        var later: [any PipelineStage] = []
        for s in 1..<(edges.count - 1) {
            later.append(
                Engine(weights: try ModelWeights(path: path, layers: edges[s]..<edges[s + 1]), options: options))
        }
        try first.attach(laterStages: try StageChain(later, firstLayer: edges[1], layerCount: n))
        return (Engine(weights: whole, options: options), first)
    }

    static var options: EngineOptions {
        var options = EngineOptions()
        options.prefixCaching = false
        options.blasMinimumRows = 8
        return options
    }

    @Test(
        "A random-weight model split in 2 and 3 stages gives the unsplit model's logits, bit for bit",
        arguments: [("f16", [3]), ("f16", [2, 4]), ("q8_0", [1]), ("q8_0", [1, 5]), ("q4_1", [3, 4])])
    func randomModel(type: String, boundaries: [Int]) throws {
        let path = try EngineTestSupport.model([
            "--arch", "llama", "--vocab", "small-512", "--dim", "64", "--layers", "6", "--heads", "4",
            "--kv-heads", "2", "--ff", "128", "--context", "256", "--type", type, "--seed", "9",
        ])
        let (unsplit, split) = try Self.engines(path: path, boundaries: boundaries, options: Self.options)
        let expected = try PipelineScript.run(unsplit, vocabulary: 512)
        let actual = try PipelineScript.run(split, vocabulary: 512)
        #expect(expected.count == actual.count)
        #expect(expected.flatMap { $0 }.count > 30)
        #expect(actual == expected)
        // Not a degenerate model: the sequences do not all take one token.
        #expect(Set(expected.flatMap { $0.map(\.token) }).count > 3)
    }

    @Test(
        "Micro-batches (a pass cut at sequence boundaries) give the unsplit model's logits, bit for bit",
        arguments: [(2, [3]), (3, [2, 4]), (8, [3])])
    func microBatches(count: Int, boundaries: [Int]) throws {
        let path = try EngineTestSupport.model([
            "--arch", "llama", "--vocab", "small-512", "--dim", "64", "--layers", "6", "--heads", "4",
            "--kv-heads", "2", "--ff", "128", "--context", "256", "--type", "q8_0", "--seed", "9",
        ])
        var options = Self.options
        let unsplit = try Self.engines(path: path, boundaries: boundaries, options: options).unsplit
        options.pipelineMicroBatches = count
        let split = try Self.engines(path: path, boundaries: boundaries, options: options).split
        #expect(try PipelineScript.run(split, vocabulary: 512) == PipelineScript.run(unsplit, vocabulary: 512))
    }

    @Test("SmolLM2 (Q4_1) split in 2 and 3 stages gives the unsplit model's logits, bit for bit")
    func smolLM2() throws {
        let path = try WorkerSupport.smolLM2()
        for boundaries in [[12], [7, 19]] {
            let (unsplit, split) = try Self.engines(path: path, boundaries: boundaries, options: Self.options)
            let expected = try PipelineScript.run(unsplit, vocabulary: 49152)
            let actual = try PipelineScript.run(split, vocabulary: 49152)
            #expect(actual == expected, "split at \(boundaries)")
        }
    }

    @Test("A layer range outside the model, a gap between stages and a stage's bad rows are clear errors")
    func errors() throws {
        let path = try EngineTestSupport.tinyLlama()
        #expect(throws: EngineError.self) { try ModelWeights(path: path, layers: 1..<3) }
        do {
            _ = try ModelWeights(path: path, layers: 1..<3)
        } catch {
            #expect(error.code == .invalidModel)
            #expect(error.detail.contains("layers 1-2 are not a range within the model's 2 layers (0-1)"))
        }
        let second = Engine(weights: try ModelWeights(path: path, layers: 1..<2), options: Self.options)
        #expect(second.layerRange == 1..<2)
        do {
            _ = try StageChain([second], firstLayer: 0, layerCount: 2)
            Issue.record("a chain that skips layer 0 was accepted")
        } catch {
            #expect(error.detail.contains("starts at layer 1 where layer 0 was expected"))
        }
        // A sequence the stage has never seen cannot start at position 3.
        let rows = [StageBatch.Row(sequence: 7, position: 3, isOutput: true)]
        do {
            _ = try second.runStage(StageBatch(rows: rows, hidden: Array(repeating: 0, count: 64)))
            Issue.record("a gap in the sequence was accepted")
        } catch {
            #expect(error.code == .positionMismatch)
        }
        do {
            _ = try second.runStage(StageBatch(rows: rows, hidden: [1, 2]))
            Issue.record("a short hidden state was accepted")
        } catch {
            #expect(error.code == .invalidBatch)
        }
        // The first stage with prefix caching on would skip rows the later stages never see.
        let first = Engine(weights: try ModelWeights(path: path, layers: 0..<1))
        #expect(throws: EngineError.self) {
            try first.attach(laterStages: try StageChain([second], firstLayer: 1, layerCount: 2))
        }
    }
}

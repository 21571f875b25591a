import Foundation
import GGUF
import Testing

@testable import InferenceCore

/// Bad input is a thrown `EngineError`, never a crash, and leaves the engine usable.
@Suite("Engine input checks", .enabled(if: EngineTestSupport.haveVocabs))
struct EngineInputTests {
    static func engine(context: Int = 256, kvMiB: Int = 16) throws -> Engine {
        var options = EngineOptions()
        options.kvCacheMiB = kvMiB
        return Engine(
            weights: try ModelWeights(path: try EngineTestSupport.tinyLlama(context: context)), options: options)
    }

    func code(_ body: () throws -> Void) -> EngineError.Code? {
        do {
            try body()
            return nil
        } catch let error as EngineError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test("Token ids outside the vocabulary are refused")
    func tokenRange() throws {
        let e = try Self.engine()
        #expect(
            code {
                _ = try e.step(
                    StepBatch(admits: [.init(sequence: 1, tokens: [1, Int32(EngineTestSupport.tinyVocabulary)])]))
            } == .tokenOutOfRange)
        #expect(code { _ = try e.step(StepBatch(admits: [.init(sequence: 1, tokens: [-1])])) } == .tokenOutOfRange)
        #expect(e.kvCache.blocksInUse == 0)
        #expect(try e.step(StepBatch(admits: [.init(sequence: 1, tokens: [1, 2])])).results.count == 1)
    }

    @Test("A prompt longer than the context is refused")
    func context() throws {
        let e = try Self.engine(context: 32)
        #expect(
            code { _ = try e.step(StepBatch(admits: [.init(sequence: 1, tokens: Array(repeating: 5, count: 33))])) }
                == .contextExceeded)
        var sampling = SamplingParameters()
        sampling.maxTokens = 100
        _ = try e.step(
            StepBatch(admits: [.init(sequence: 1, tokens: Array(repeating: 5, count: 31), sampling: sampling)]))
        _ = try e.step(StepBatch(decodes: [1]))
        #expect(code { _ = try e.step(StepBatch(decodes: [1])) } != nil)
    }

    @Test("Positions must continue the cached tokens; unknown and repeated sequences are refused")
    func positions() throws {
        let e = try Self.engine()
        #expect(
            code { _ = try e.step(StepBatch(admits: [.init(sequence: 1, position: 3, tokens: [1])])) }
                == .positionMismatch)
        #expect(code { _ = try e.step(StepBatch(decodes: [9])) } == .unknownSequence)
        #expect(
            code {
                _ = try e.step(StepBatch(admits: [.init(sequence: 1, tokens: [1]), .init(sequence: 1, tokens: [2])]))
            } == .invalidBatch)
    }

    @Test("A step that needs more KV blocks than are free is refused whole")
    func capacity() throws {
        let e = try Self.engine(kvMiB: 1)
        let blocks = e.kvCache.blockCount
        let tooMany = Array(repeating: Int32(7), count: min(blocks * 16 + 1, 255))
        if tooMany.count > blocks * 16 {
            #expect(code { _ = try e.step(StepBatch(admits: [.init(sequence: 1, tokens: tooMany)])) } == .kvCacheFull)
            #expect(e.kvCache.blocksInUse == 0)
        }
    }

    @Test("NaN logits are an error")
    func nonFinite() throws {
        let source = try EngineTestSupport.tinyLlama(type: "f32")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("nan-\(getpid()).gguf").path
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let file = try GGUFFile(path: source)
        let info = try #require(file.tensor(named: "output_norm.weight"))
        let handle = try #require(FileHandle(forWritingAtPath: copy))
        try handle.seek(toOffset: UInt64(file.dataOffset + info.offset))
        try handle.write(contentsOf: Data(repeating: 0xff, count: info.byteCount))
        try handle.close()
        let e = Engine(weights: try ModelWeights(path: copy))
        #expect(
            code { _ = try e.step(StepBatch(admits: [.init(sequence: 1, tokens: [1, 2, 3])])) } == .nonFiniteLogits)
    }

    @Test("Other architectures are refused by name")
    func architecture() throws {
        let source = try EngineTestSupport.tinyLlama()
        let file = try GGUFFile(path: source)
        var metadata = file.metadata
        metadata["general.architecture"] = .string("gemma3")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gemma-\(getpid()).gguf").path
        try GGUFWriter(metadata: metadata).write(to: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try ModelWeights(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .unsupportedArchitecture)
            #expect(error.detail.contains("gemma3"))
            #expect(error.detail.contains("(llama, qwen, qwen2, qwen3)"))
        }
    }
}

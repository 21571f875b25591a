import Foundation
import Testing

@testable import InferenceCore

/// The figures `model bench` gives decode's bandwidth by: the weight bytes one step reads, and the host's read
/// bandwidth.
@Suite("Memory bandwidth")
struct MemoryBandwidthTests {
    @Test("a decode step reads every tensor, the embedding table only when it is also the output projection")
    func decodeBytes() throws {
        let shape = [
            "--arch", "llama", "--vocab", "small-512", "--dim", "64", "--layers", "2", "--heads", "4",
            "--kv-heads", "2", "--ff", "128", "--type", "f16", "--seed", "5",
        ]
        for tied in [false, true] {
            let weights = try ModelWeights(path: try EngineTestSupport.model(shape + (tied ? ["--tied"] : [])))
            let tensors = weights.file.tensors
            let all = tensors.reduce(0) { $0 + $1.byteCount }
            let embedding = try #require(weights.file.tensor(named: "token_embd.weight")).byteCount
            #expect(embedding == 512 * 64 * 2, "the F16 table")
            #expect((weights.file.tensor(named: "output.weight") == nil) == tied)
            #expect(MemoryBandwidth.decodeBytesPerToken(weights) == (tied ? all : all - embedding))
        }
    }

    @Test("the read bandwidth is measured over the whole buffer on hosts with the AVX2 kernels")
    func bandwidth() throws {
        let measured = MemoryBandwidth.measure(threads: 2, bytes: 16 << 20, passes: 2)
        guard NativeKernels.available else {
            #expect(measured == nil, "no figure without wide loads")
            return
        }
        let bytesPerSecond = try #require(measured)
        // Reading 16 MiB takes longer than a microsecond and less than a minute on any machine.
        #expect(bytesPerSecond > 16e6 / 60 && bytesPerSecond < 16e6 / 1e-6)
    }
}

import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Gateway
import Testing
import Tokenizers

/// How `serve` sizes each model's KV cache and hello timeout from the model and the machine.
@Suite("Model memory plan")
struct ModelMemoryPlanTests {
    static let gib = 1 << 30
    static let mib = 1 << 20

    /// The tiny model's description with the KV footprint and file size of a large model: Yi-34B's 60 layers of
    /// 8 KV heads of 128 (240 KiB a token) and a 20 GiB file, context 4096.
    static func yiLike() throws -> ModelDescription {
        let tiny = try tinyDescription()
        return ModelDescription(
            tokenizer: tiny.tokenizer, chatTemplate: tiny.chatTemplate, contextLength: 4096,
            kvBytesPerToken: 60 * 8 * 256 * 2, fileBytes: 20 * gib)
    }

    /// The description of a fresh tiny model (2 layers of 2 KV heads of 16), its file removed again.
    static func tinyDescription() throws -> ModelDescription {
        let path = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        return try ModelDescription(BatchgateConfiguration.Model(name: "tiny", path: path))
    }

    @Test("auto gives every running sequence its full context when memory allows")
    func fullContexts() throws {
        let model = BatchgateConfiguration.Model(name: "yi", path: "/m", maxRunning: 4)
        let plan = ModelMemoryPlan.plans(for: [(model, try Self.yiLike())], availableBytes: 64 * Self.gib)[0]
        // 4 sequences × 4096 tokens × 240 KiB = 3840 MiB.
        #expect(plan.kvCacheMiB == 3840)
        #expect(plan.explanation.contains("auto"))
        #expect(!plan.explanation.contains("at most"))
    }

    @Test("auto takes what is left after the model file and a reserve, and says how much context that leaves")
    func cappedByMemory() throws {
        let model = BatchgateConfiguration.Model(name: "yi", path: "/m")
        // 23 GiB free, a 20 GiB file and 1 GiB reserved leave 2 GiB: 8738 tokens of the 16 × 4096 wanted.
        let plan = ModelMemoryPlan.plans(for: [(model, try Self.yiLike())], availableBytes: 23 * Self.gib)[0]
        #expect(plan.kvCacheMiB == 2048)
        #expect(plan.explanation.contains("16 sequences × 4096 tokens want 15360 MiB"), "\(plan.explanation)")
        #expect(!plan.explanation.contains("at most"), "2 GiB holds one whole context")
        // Two workers share the room.
        var two = model
        two.workers = 2
        #expect(
            ModelMemoryPlan.plans(for: [(two, try Self.yiLike())], availableBytes: 23 * Self.gib)[0].kvCacheMiB == 1024)
        // With 21.5 GiB free only 512 MiB is left: less than one context, which the explanation says.
        let tight = ModelMemoryPlan.plans(
            for: [(model, try Self.yiLike())], availableBytes: 21 * Self.gib + Self.gib / 2)[0]
        #expect(tight.kvCacheMiB == 512)
        #expect(
            tight.explanation.contains("a request can use at most 2184 of the 4096-token context"),
            "\(tight.explanation)")
        // Nothing left still gives the minimum, not zero.
        let none = ModelMemoryPlan.plans(for: [(model, try Self.yiLike())], availableBytes: 10 * Self.gib)[0]
        #expect(none.kvCacheMiB == 16)
    }

    @Test("a configured size is kept, and unknown memory falls back to 256 MiB at most")
    func configuredAndUnknown() throws {
        let fixed = BatchgateConfiguration.Model(name: "yi", path: "/m", kvCacheMiB: 100)
        let plan = ModelMemoryPlan.plans(for: [(fixed, try Self.yiLike())], availableBytes: 1 * Self.gib)[0]
        #expect(plan.kvCacheMiB == 100)
        #expect(plan.explanation.contains("configured"))
        let auto = BatchgateConfiguration.Model(name: "yi", path: "/m")
        #expect(ModelMemoryPlan.plans(for: [(auto, try Self.yiLike())], availableBytes: nil)[0].kvCacheMiB == 256)
    }

    @Test("models share the free memory equally")
    func twoModels() throws {
        let a = BatchgateConfiguration.Model(name: "a", path: "/a")
        let b = BatchgateConfiguration.Model(name: "b", path: "/b")
        // 45 GiB free, two 20 GiB files and the reserve leave 4 GiB: 2 GiB each.
        let plans = ModelMemoryPlan.plans(
            for: [(a, try Self.yiLike()), (b, try Self.yiLike())], availableBytes: 45 * Self.gib)
        #expect(plans.map(\.kvCacheMiB) == [2048, 2048])
    }

    @Test("the hello timeout grows with the file: two minutes plus its reading time at 16 MiB/s")
    func helloTimeout() throws {
        let model = BatchgateConfiguration.Model(name: "yi", path: "/m")
        let plan = ModelMemoryPlan.plans(for: [(model, try Self.yiLike())], availableBytes: 64 * Self.gib)[0]
        #expect(plan.helloTimeout == .seconds(120 + 20 * 1024 / 16))
        let tiny = try Self.tinyDescription()
        #expect(tiny.fileBytes > 0 && tiny.fileBytes < 16 * Self.mib)
        // 2 layers × 2 KV heads × (16 key + 16 value halves) × 2 bytes.
        #expect(tiny.kvBytesPerToken == 256)
        let small = ModelMemoryPlan.plans(for: [(model, tiny)], availableBytes: 64 * Self.gib)[0]
        #expect(small.helloTimeout == .seconds(120))
    }
}

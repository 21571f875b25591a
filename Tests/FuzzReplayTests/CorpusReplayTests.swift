import Foundation
import FuzzTargets
import Testing

/// Every committed fuzz input, replayed through the check the fuzzer runs (`FuzzTarget.check`): the corpus in
/// `Fuzz/Corpus/TARGET/` and the inputs that once crashed or broke an invariant in `Fuzz/Crashes/TARGET/`. A crash
/// fails the run; a broken invariant is an issue naming the file. No fuzzer is built for this.
@Suite("Fuzz corpus replay")
struct CorpusReplayTests {
    /// The package root (three folders above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The files directly in `Fuzz/KIND/TARGET/`, sorted (none when the folder is missing).
    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let folder = root.appendingPathComponent("Fuzz/\(kind)/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.map { folder.appendingPathComponent($0) }
    }

    @Test("Each target's corpus and crash inputs pass its check", arguments: FuzzTarget.all.map(\.name))
    func replay(name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let corpus = Self.inputs("Corpus", name)
        #expect(corpus.count >= 3, "Fuzz/Corpus/\(name) holds \(corpus.count) files; make fuzz fills it")
        for file in corpus + Self.inputs("Crashes", name) {
            let bytes = try [UInt8](Data(contentsOf: file))
            do {
                try target.run(bytes)
            } catch {
                Issue.record("\(file.lastPathComponent) (\(bytes.count) bytes): \(error)")
            }
        }
    }

    @Test("Each target's built-in seeds pass its check", arguments: FuzzTarget.all.map(\.name))
    func seeds(name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let seeds = FuzzSeeds.seeds(for: name)
        #expect(!seeds.isEmpty)
        for (index, seed) in seeds.enumerated() {
            do {
                try target.run(seed)
            } catch {
                Issue.record("seed \(index): \(error)")
            }
        }
    }
}

import ArgumentParser
import Basics
import Foundation
import Tokenizers

/// `batchgate model tokenize-bench FILE --text-file F`: how fast the tokenizer encodes a text.
struct ModelTokenizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize-bench",
        abstract: "Time encoding a text file (no BOS, special tokens as plain text); print the median.",
        discussion: "Reports median seconds, MB/s (10^6 bytes of UTF-8 per second) and tokens per second."
    )

    @Argument(help: "The GGUF model or vocabulary file.")
    var file: String

    @Option(name: .customLong("text-file"), help: "The text to tokenize (UTF-8).")
    var textFile: String

    @Option(help: "How many timed runs (after one untimed warm-up).")
    var `repeat` = 5

    @Flag(help: "Print JSON instead of plain text.")
    var json = false

    func validate() throws {
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: textFile) else {
            ModelCommand.printError("error: cannot read \(textFile)")
            throw ExitCode.failure
        }
        let text = String(decoding: data, as: UTF8.self)
        let loadStart = ContinuousClock.now
        let tokenizer = try ModelCommand.loadTokenizer(file)
        let loadSeconds = (ContinuousClock.now - loadStart).inSeconds
        var tokens = tokenizer.encode(text, addSpecial: false, parseSpecial: false).count
        var times: [Double] = []
        for _ in 0..<`repeat` {
            let start = ContinuousClock.now
            tokens = tokenizer.encode(text, addSpecial: false, parseSpecial: false).count
            times.append((ContinuousClock.now - start).inSeconds)
        }
        times.sort()
        let median =
            times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let bytes = Double(text.utf8.count)
        let megabytesPerSecond = bytes / 1e6 / median
        let tokensPerSecond = Double(tokens) / median
        if json {
            print(
                ModelCommand.json([
                    "median_s": median, "mb_per_s": megabytesPerSecond, "tokens_per_s": tokensPerSecond,
                    "tokens": tokens, "bytes": Int(bytes), "load_s": loadSeconds, "runs": `repeat`,
                ]))
        } else {
            print(
                String(
                    format: "%d bytes, %d tokens: median %.4f s, %.2f MB/s, %.0f tokens/s (%d runs; load %.3f s)",
                    Int(bytes), tokens, median, megabytesPerSecond, tokensPerSecond, `repeat`, loadSeconds))
        }
    }
}

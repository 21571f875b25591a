import Basics

/// Makes prompts of an exact token length from common English words, checking each with a `TokenCounter` and
/// adjusting the number of words until the count is exact.
public struct PromptSynthesizer: Sendable {
    /// Words that are one token each in the common vocabularies (with a leading space).
    static let words: [String] = """
        the of and to in is was for on that with as by at from his her they this had not are but which be one \
        have all were when there can an been their more will would other into has time two may like our over \
        some new first these also could made after many people then them water work most way world life day \
        year part place down back long little state just good man great where both each house under through \
        country city old right think small large number name point give home hand light open set end high line \
        best story music game story river market table school field power heart money party week book night \
        early order early road group room study child family court mind word level color blue green red white \
        black green paper stone glass tree garden window door summer winter morning evening
        """.split(separator: " ").map(String.init)

    let counter: any TokenCounter

    /// A synthesizer counting with `counter`.
    public init(counter: any TokenCounter) {
        self.counter = counter
    }

    /// A prompt of exactly `tokens` tokens, its words drawn with `random`.
    public func prompt(tokens: Int, random: inout SplitMix64) async throws -> String {
        for _ in 0..<4 {
            let pool = (0..<(tokens + 16)).map { _ in Self.words[Int.random(in: 0..<Self.words.count, using: &random)] }
            var wordCount = min(tokens, pool.count)
            for _ in 0..<8 {
                let text = pool.prefix(wordCount).joined(separator: " ")
                let counted = try await counter.count(text)
                if counted == tokens { return text }
                let next = wordCount + (tokens - counted)
                guard next >= 1, next <= pool.count, next != wordCount else { break }
                wordCount = next
            }
        }
        throw BenchError(.invalidArgument, "could not make a prompt of exactly \(tokens) tokens with this tokenizer")
    }
}

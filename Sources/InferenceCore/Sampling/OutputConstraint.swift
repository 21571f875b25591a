import Grammar
import Tokenizers

/// A constraint on what a sequence may generate: its output must be text of a grammar (structured output).
public struct OutputConstraint: Sendable, Hashable {
    /// The grammar's source.
    public enum Kind: Sendable, Hashable {
        /// Any JSON object (`response_format: {"type": "json_object"}`).
        case jsonObject
        /// A value valid under this JSON Schema (its JSON text).
        case jsonSchema(String)
    }

    /// The grammar's source.
    public var kind: Kind
    /// How many of the prompt's last tokens are output already generated under this constraint (a sequence
    /// recomputed after preemption or a worker restart): the grammar reads them before the first sampled token.
    public var generatedPrefix: Int

    /// A constraint of `kind`; `generatedPrefix` as above.
    public init(_ kind: Kind, generatedPrefix: Int = 0) {
        self.kind = kind
        self.generatedPrefix = generatedPrefix
    }

    /// The compiled grammar (throws for a schema outside the supported subset).
    public func grammar() throws(GrammarError) -> Grammar {
        switch kind {
        case .jsonObject: try Grammar.jsonObject()
        case .jsonSchema(let text): try JSONSchemaCompiler.compile(schemaText: text)
        }
    }
}

/// The compiled constraints of one engine: each grammar's masks over the model's vocabulary, made on first use and
/// kept (with the mask of every state reached), so later sequences with the same constraint pay nothing to start.
final class OutputConstraints {
    private let weights: ModelWeights
    private var vocabulary: (trie: TokenTrie, bytes: [[UInt8]])?
    private var compiled: [OutputConstraint.Kind: GrammarMasks] = [:]
    /// Constraints kept at most; the least recently compiled goes first.
    static let capacity = 64
    private var order: [OutputConstraint.Kind] = []

    init(weights: ModelWeights) { self.weights = weights }

    /// The masks for `kind`, compiled if new.
    func masks(for kind: OutputConstraint.Kind) throws(EngineError) -> GrammarMasks {
        if let known = compiled[kind] { return known }
        let grammar: Grammar
        do {
            grammar = try OutputConstraint(kind).grammar()
        } catch {
            throw EngineError(.invalidSampling, "the output constraint does not compile: \(error.message)")
        }
        let (trie, bytes) = try tokenBytes()
        let masks = GrammarMasks(
            grammar: grammar, trie: trie, tokenBytes: bytes,
            endTokens: weights.endOfGenerationTokens.sorted())
        if order.count == Self.capacity { compiled.removeValue(forKey: order.removeFirst()) }
        order.append(kind)
        compiled[kind] = masks
        return masks
    }

    /// Every token's bytes (empty for control tokens) and their trie, read from the model's tokenizer once.
    private func tokenBytes() throws(EngineError) -> (TokenTrie, [[UInt8]]) {
        if let vocabulary { return vocabulary }
        let tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(file: weights.file)
        } catch {
            throw EngineError(.invalidSampling, "output constraints need the model's tokenizer: \(error)")
        }
        var bytes: [[UInt8]] = []
        bytes.reserveCapacity(weights.vocabularySize)
        for id in 0..<weights.vocabularySize {
            bytes.append((try? tokenizer.piece(for: Int32(id), renderSpecial: false)) ?? [])
        }
        let made = (TokenTrie(tokens: bytes), bytes)
        vocabulary = made
        return made
    }
}

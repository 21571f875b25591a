import Grammar

/// What the engine remembers about a running sequence between steps.
struct SequenceState {
    /// Tokens in the KV cache (the position of the next token).
    var length = 0
    /// The last sampled token, fed by the next decode.
    var lastToken: Int32?
    /// Tokens generated so far.
    var generated = 0
    /// Set once the sequence has stopped.
    var finished: FinishReason?
    /// The sequence's sampler.
    var sampler: Sampler
    /// The masks of its output constraint, if it has one.
    var constraint: GrammarMasks?
    /// Where its output stands in the constraint's grammar.
    var grammarState: GrammarAutomaton.State = 0
    /// The latest prompt tokens, as many as the constraint's generated prefix (read by the grammar once the
    /// prompt's last chunk has arrived).
    var prefixTail: [Int32] = []
}

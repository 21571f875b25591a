/// One fuzz target: a parser that takes outside bytes, and the check of one input that both the libFuzzer driver
/// (`Fuzz/Driver`) and the corpus replay test (`Tests/FuzzReplayTests`) run.
///
/// A check returns normally when the parser accepted or refused the input as it should, and throws
/// `FuzzFailure` when a target's own invariant does not hold (a round trip that changes the bytes, two readings that
/// disagree); a crash is a crash in both callers.
public struct FuzzTarget: Sendable {
    /// The target's name: its corpus folder under `Fuzz/Corpus/` and the driver's `FUZZ_TARGET`.
    public let name: String
    /// What the target feeds its input to.
    public let summary: String
    /// Checks one input.
    public let check: @Sendable (UnsafeRawBufferPointer) throws(FuzzFailure) -> Void

    /// Creates a target.
    public init(
        name: String, summary: String, check: @escaping @Sendable (UnsafeRawBufferPointer) throws(FuzzFailure) -> Void
    ) {
        self.name = name
        self.summary = summary
        self.check = check
    }

    /// Checks `bytes` (an array-taking form of `check`).
    public func run(_ bytes: [UInt8]) throws(FuzzFailure) {
        let outcome = bytes.withUnsafeBytes { raw in Result { () throws(FuzzFailure) in try check(raw) } }
        try outcome.get()
    }

    /// Every target, in the order `make fuzz` runs them.
    public static let all: [FuzzTarget] = [
        gguf, tokenizer, requestJSON, configuration, workerProtocol, stageProtocol, sse,
    ]

    /// The target called `name`, or nil.
    public static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}

/// A target's invariant that an input broke, with what was seen.
public struct FuzzFailure: Error, CustomStringConvertible {
    /// What went wrong, for the fuzzer's crash report and the test's issue.
    public let description: String

    /// Creates a failure.
    public init(_ description: String) {
        self.description = description
    }
}

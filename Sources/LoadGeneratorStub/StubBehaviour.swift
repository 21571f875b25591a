/// How the stub server times and limits its streamed answers: the known truth the load generator is measured against.
public struct StubBehaviour: Sendable {
    /// Delay from the start of a generation to its first token.
    public var firstToken: Duration
    /// Gap between two consecutive tokens.
    public var interToken: Duration
    /// Tokens generated when the request names no `max_tokens`.
    public var defaultMaxTokens: Int
    /// Generations that run at once; the rest wait in arrival order. `nil` means no limit.
    public var capacity: Int?
    /// A window in which nothing is emitted: it starts `stallAfter` after the first generation request arrived and
    /// lasts `stallLength`; whatever falls due inside it is sent when it ends.
    public var stallAfter: Duration?
    /// Length of the stall window.
    public var stallLength: Duration
    /// Close the connection after each streamed answer, without announcing it (llama-server does this).
    public var closeAfterStream: Bool

    /// Creates a behaviour; the defaults are 50 ms to the first token, then one token every 10 ms, no limits.
    public init(
        firstToken: Duration = .milliseconds(50), interToken: Duration = .milliseconds(10),
        defaultMaxTokens: Int = 16, capacity: Int? = nil, stallAfter: Duration? = nil,
        stallLength: Duration = .seconds(2), closeAfterStream: Bool = false
    ) {
        self.firstToken = firstToken
        self.interToken = interToken
        self.defaultMaxTokens = defaultMaxTokens
        self.capacity = capacity
        self.stallAfter = stallAfter
        self.stallLength = stallLength
        self.closeAfterStream = closeAfterStream
    }
}

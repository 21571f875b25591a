/// Finds `stop` strings in generated text as it streams: text that could still be the start of a stop string is
/// held back, so a client never sees any part of the stop string, and the text before it is released exactly once.
public struct StopStringMatcher: Sendable {
    private let stops: [String]
    private var held = ""

    /// A matcher for `stops` (none means every piece passes through at once).
    public init(_ stops: [String]) {
        self.stops = stops
    }

    /// What to do after a piece of text.
    public enum Outcome: Equatable, Sendable {
        /// Send this text (may be empty) and go on.
        case text(String)
        /// Send this text (what came before the stop string) and end the generation.
        case stopped(String)
    }

    /// Feeds the next piece of generated text.
    public mutating func feed(_ piece: String) -> Outcome {
        guard !stops.isEmpty else { return .text(piece) }
        held += piece
        if let match = stops.compactMap({ held.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            let before = String(held[..<match.lowerBound])
            held = ""
            return .stopped(before)
        }
        // Keep the longest suffix that is a proper prefix of some stop string; release the rest.
        var keep = 0
        for stop in stops {
            var length = min(stop.count - 1, held.count)
            while length > keep {
                if held.hasSuffix(stop.prefix(length)) {
                    keep = length
                    break
                }
                length -= 1
            }
        }
        let cut = held.index(held.endIndex, offsetBy: -keep)
        let out = String(held[..<cut])
        held = String(held[cut...])
        return .text(out)
    }

    /// The text still held back at the end of a generation that did not stop on a stop string.
    public mutating func finish() -> String {
        defer { held = "" }
        return held
    }
}

/// Splits text at occurrences of special tokens the way llama.cpp's `tokenizer_st_partition` does:
/// candidates are taken longest first, and each one splits every still-raw stretch at its leftmost,
/// non-overlapping occurrences.
///
/// Candidates are control, unknown and user-defined tokens; without `parseSpecial` only user-defined ones
/// (as in llama.cpp and Hugging Face `tokenizers`, added tokens are always matched).
struct SpecialTokenMatcher: Sendable {
    /// One piece of partitioned text.
    enum Fragment: Equatable {
        case text(Range<Int>)
        case token(Int32)
    }

    private struct Candidate: Sendable {
        var id: Int32
        var bytes: [UInt8]
        var order: Int  // position in longest-first order
        var userDefined: Bool
    }

    private let candidates: [Candidate]
    /// Candidate indices grouped by their first two bytes (or first byte alone, keyed with 0x100 added).
    private let byPrefix: [UInt32: [Int]]
    /// Which bytes can start a candidate.
    private let firstBytes: [Bool]
    /// Which two-byte prefixes (first << 8 | second) start a candidate of two or more bytes.
    private let pairStarts: [Bool]
    /// Which bytes are whole one-byte candidates.
    private let singleStarts: [Bool]
    /// Whether any user-defined candidate exists (fast path when not parsing special tokens).
    private let hasUserDefined: Bool

    init(vocabulary: Vocabulary) {
        var list: [Candidate] = []
        for (i, type) in vocabulary.types.enumerated()
        where type == .control || type == .unknown || type == .userDefined {
            let bytes = Array(vocabulary.tokens[i].utf8)
            guard !bytes.isEmpty else { continue }
            list.append(Candidate(id: Int32(i), bytes: bytes, order: 0, userDefined: type == .userDefined))
        }
        list.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        for i in list.indices { list[i].order = i }
        candidates = list
        var groups: [UInt32: [Int]] = [:]
        var first = [Bool](repeating: false, count: 256)
        for (i, candidate) in list.enumerated() {
            first[Int(candidate.bytes[0])] = true
            groups[Self.prefixKey(candidate.bytes, 0, candidate.bytes.count), default: []].append(i)
        }
        byPrefix = groups
        firstBytes = first
        var pairs = [Bool](repeating: false, count: 0x10000)
        var singles = [Bool](repeating: false, count: 256)
        for candidate in list {
            if candidate.bytes.count >= 2 {
                pairs[Int(candidate.bytes[0]) << 8 | Int(candidate.bytes[1])] = true
            } else {
                singles[Int(candidate.bytes[0])] = true
            }
        }
        pairStarts = pairs
        singleStarts = singles
        hasUserDefined = list.contains { $0.userDefined }
    }

    @inline(__always)
    private static func prefixKey<C: Collection<UInt8>>(_ bytes: C, _ at: C.Index, _ available: Int) -> UInt32
    where C.Index == Int {
        available >= 2 ? UInt32(bytes[at]) << 8 | UInt32(bytes[at + 1]) : 0x10000 | UInt32(bytes[at])
    }

    /// Partitions `text`; returns nil when no special token occurs (the whole text is one raw fragment).
    func partition(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment]? {
        guard !candidates.isEmpty, parseSpecial || hasUserDefined else { return nil }
        // Every occurrence of every eligible candidate, as (candidate order, position).
        var occurrences: [(order: Int, position: Int)] = []
        let n = text.count
        func collect(_ group: [Int], at pos: Int) {
            for index in group {
                let candidate = candidates[index]
                guard parseSpecial || candidate.userDefined else { continue }
                let length = candidate.bytes.count
                guard pos + length <= n else { continue }
                let matches = candidate.bytes.withUnsafeBufferPointer {
                    memcmpEqual($0.baseAddress!, text.baseAddress! + pos, length)
                }
                if matches { occurrences.append((index, pos)) }
            }
        }
        var pos = 0
        while pos < n {
            if firstBytes[Int(text[pos])] {
                if n - pos >= 2, pairStarts[Int(text[pos]) << 8 | Int(text[pos + 1])] {
                    collect(byPrefix[Self.prefixKey(text, pos, 2)] ?? [], at: pos)
                }
                if singleStarts[Int(text[pos])] { collect(byPrefix[0x10000 | UInt32(text[pos])] ?? [], at: pos) }
            }
            pos += 1
        }
        guard !occurrences.isEmpty else { return nil }
        occurrences.sort { $0.order != $1.order ? $0.order < $1.order : $0.position < $1.position }

        // Replay llama.cpp's order: each candidate claims its leftmost non-overlapping occurrences in
        // stretches no longer candidate has claimed.
        var claimed = [Bool](repeating: false, count: n)
        var accepted: [(position: Int, length: Int, id: Int32)] = []
        var currentOrder = -1
        var lastEnd = 0
        for occurrence in occurrences {
            let candidate = candidates[occurrence.order]
            if occurrence.order != currentOrder {
                currentOrder = occurrence.order
                lastEnd = 0
            }
            let start = occurrence.position
            let end = start + candidate.bytes.count
            guard start >= lastEnd else { continue }
            var free = true
            for i in start..<end where claimed[i] {
                free = false
                break
            }
            guard free else { continue }
            for i in start..<end { claimed[i] = true }
            accepted.append((start, end - start, candidate.id))
            lastEnd = end
        }
        accepted.sort { $0.position < $1.position }
        var fragments: [Fragment] = []
        var cursor = 0
        for match in accepted {
            if match.position > cursor { fragments.append(.text(cursor..<match.position)) }
            fragments.append(.token(match.id))
            cursor = match.position + match.length
        }
        if cursor < n { fragments.append(.text(cursor..<n)) }
        return fragments
    }
}

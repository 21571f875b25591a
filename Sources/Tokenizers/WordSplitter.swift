/// Hand-written equivalents of the pre-tokenizer regexes, over code points with their `CharacterClass` flags.
///
/// Each splitter reads `scalars[start..<end]` and appends the end index (exclusive, in code points) of every word.
/// They follow the regexes' leftmost-alternative semantics the way llama.cpp's custom splitters do.
enum WordSplitter {
    private static let apostrophe = UInt32(UInt8(ascii: "'"))
    private static let space = UInt32(UInt8(ascii: " "))
    private static let cr = UInt32(UInt8(ascii: "\r"))
    private static let lf = UInt32(UInt8(ascii: "\n"))

    @inline(__always)
    private static func asciiLower(_ c: UInt32) -> UInt32 {
        (c >= 0x41 && c <= 0x5A) ? c + 0x20 : c
    }

    /// Length of a contraction (`'s 't 'm 'd 're 've 'll`) at `pos`, or 0.
    @inline(__always)
    static func contraction(
        _ s: UnsafeBufferPointer<UInt32>, _ pos: Int, _ end: Int, caseInsensitive: Bool
    ) -> Int {
        guard s[pos] == apostrophe, pos + 1 < end else { return 0 }
        let n = caseInsensitive ? asciiLower(s[pos + 1]) : s[pos + 1]
        switch n {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        default: break
        }
        guard pos + 2 < end else { return 0 }
        let nn = caseInsensitive ? asciiLower(s[pos + 2]) : s[pos + 2]
        if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) { return 3 }
        return 0
    }

    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    static func gpt2(
        _ s: UnsafeBufferPointer<UInt32>, _ f: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        into ends: inout [Int]
    ) {
        @inline(__always) func flags(_ i: Int) -> UInt8 { i < end ? f[i] : 0 }
        let letter = CharacterClass.letter.rawValue
        let number = CharacterClass.number.rawValue
        let ws = CharacterClass.whitespace.rawValue
        var pos = start
        while pos < end {
            let c = s[pos]
            let k = contraction(s, pos, end, caseInsensitive: false)
            if k > 0 {
                pos += k
                ends.append(pos)
                continue
            }
            let lead = c == space ? 1 : 0
            let f2 = flags(pos + lead)
            if f2 & letter != 0 {
                pos += lead
                while flags(pos) & letter != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            if f2 & number != 0 {
                pos += lead
                while flags(pos) & number != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            if f2 & (ws | letter | number) == 0 && f2 != 0 {
                pos += lead
                while case let g = flags(pos), g & (ws | letter | number) == 0, g != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            var count = 0
            while flags(pos + count) & ws != 0 { count += 1 }
            if count > 1 && pos + count < end {
                pos += count - 1
            } else if count > 0 {
                pos += count
            } else {
                pos += 1
            }
            ends.append(pos)
        }
    }

    /// StarCoder's chain (SmolLM's too): `\p{N}` first, so that every number code point is a word on its own,
    /// then GPT-2's pattern over the text between them.
    static func digitsThenGPT2(
        _ s: UnsafeBufferPointer<UInt32>, _ f: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        into ends: inout [Int]
    ) {
        let number = CharacterClass.number.rawValue
        var gapStart = start
        for pos in start..<end where f[pos] & number != 0 {
            if pos > gapStart { gpt2(s, f, gapStart, pos, into: &ends) }
            ends.append(pos + 1)
            gapStart = pos + 1
        }
        if end > gapStart { gpt2(s, f, gapStart, end, into: &ends) }
    }

    /// Llama 3 (`maxDigits` 3) and Qwen2 (`maxDigits` 1):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    /// With `marksAreLetters` (Qwen3.5), `\p{L}` becomes `[\p{L}\p{M}]` in the letter run and in the punctuation
    /// class: `[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+` and ` ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*`.
    static func llama3(
        _ s: UnsafeBufferPointer<UInt32>, _ f: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        maxDigits: Int, marksAreLetters: Bool = false, into ends: inout [Int]
    ) {
        @inline(__always) func flags(_ i: Int) -> UInt8 { i < end ? f[i] : 0 }
        let letter = CharacterClass.letter.rawValue | (marksAreLetters ? CharacterClass.mark.rawValue : 0)
        let number = CharacterClass.number.rawValue
        let ws = CharacterClass.whitespace.rawValue
        var pos = start
        while pos < end {
            let c = s[pos]
            let fc = f[pos]
            let k = contraction(s, pos, end, caseInsensitive: true)
            if k > 0 {
                pos += k
                ends.append(pos)
                continue
            }
            if !(c == cr || c == lf || fc & number != 0) && (fc & letter != 0 || flags(pos + 1) & letter != 0) {
                pos += 1
                while flags(pos) & letter != 0 { pos += 1 }
                ends.append(pos)
                continue
            }
            if fc & number != 0 {
                var run = 0
                while flags(pos) & number != 0 {
                    pos += 1
                    run += 1
                    if run == maxDigits {
                        ends.append(pos)
                        run = 0
                    }
                }
                if run > 0 { ends.append(pos) }
                continue
            }
            let lead = c == space ? 1 : 0
            let f2 = flags(pos + lead)
            if f2 & (ws | letter | number) == 0 {
                pos += lead
                while case let g = flags(pos), g & (ws | letter | number) == 0, g != 0 { pos += 1 }
                while pos < end && (s[pos] == cr || s[pos] == lf) { pos += 1 }
                ends.append(pos)
                continue
            }
            pos = whitespaceEnd(s, f, pos, end)
            ends.append(pos)
        }
    }

    /// Where the whitespace alternatives `\s*[\r\n]+|\s+(?!\S)|\s+` end for a word starting at `pos` (shared by the
    /// Llama 3 / Qwen2 and the Tekken splitters): after the last CR or LF of the run; else before the run's last
    /// whitespace when a non-space follows; else at the run's end (one character when there is no run).
    @inline(__always)
    static func whitespaceEnd(
        _ s: UnsafeBufferPointer<UInt32>, _ f: UnsafeBufferPointer<UInt8>, _ pos: Int, _ end: Int
    ) -> Int {
        let ws = CharacterClass.whitespace.rawValue
        var count = 0
        var afterLastNewline = -1
        while pos + count < end && f[pos + count] & ws != 0 {
            let w = s[pos + count]
            if w == cr || w == lf { afterLastNewline = pos + count + 1 }
            count += 1
        }
        if afterLastNewline >= 0 { return afterLastNewline }
        if count > 1 && pos + count < end { return pos + count - 1 }
        return pos + max(count, 1)
    }

    /// ASCII characters llama.cpp's collapsed `\p{P}` matches, plus the `$+<=>^~|` of the default regex.
    private static func isDefaultPunctuation(_ c: UInt32) -> Bool {
        switch c {
        case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: true
        case 0x24, 0x2B, 0x3C...0x3E, 0x5E, 0x7E, 0x7C: true
        default: false
        }
    }

    /// Splits every piece (given by its end) into runs that satisfy `inRun` and the gaps between them.
    private static func splitRuns(
        _ pieceEnds: [Int], start: Int, into ends: inout [Int], _ runLength: (Int, Int) -> Int
    ) {
        var pieceStart = start
        for pieceEnd in pieceEnds {
            var pos = pieceStart
            var gapStart = pieceStart
            while pos < pieceEnd {
                let length = runLength(pos, pieceEnd)
                if length > 0 {
                    if pos > gapStart { ends.append(pos) }
                    pos += length
                    ends.append(pos)
                    gapStart = pos
                } else {
                    pos += 1
                }
            }
            if pieceEnd > gapStart { ends.append(pieceEnd) }
            pieceStart = pieceEnd
        }
    }

    /// llama.cpp's default chain: `[\p{P}\$\+<=>\^~\|]+`, then GPT-2's pattern, then `\p{N}+`, then `[0-9]{3}`.
    static func defaultChain(
        _ s: UnsafeBufferPointer<UInt32>, _ f: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        into ends: inout [Int]
    ) {
        let number = CharacterClass.number.rawValue
        var stage: [Int] = []
        splitRuns([end], start: start, into: &stage) { pos, pieceEnd in
            var p = pos
            while p < pieceEnd && (s[p] < 0x80 ? isDefaultPunctuation(s[p]) : isPunctuation(s[p])) { p += 1 }
            return p - pos
        }
        var afterGPT2: [Int] = []
        var pieceStart = start
        for pieceEnd in stage {
            gpt2(s, f, pieceStart, pieceEnd, into: &afterGPT2)
            pieceStart = pieceEnd
        }
        var afterNumbers: [Int] = []
        splitRuns(afterGPT2, start: start, into: &afterNumbers) { pos, pieceEnd in
            var p = pos
            while p < pieceEnd && f[p] & number != 0 { p += 1 }
            return p - pos
        }
        splitRuns(afterNumbers, start: start, into: &ends) { pos, pieceEnd in
            guard pos + 3 <= pieceEnd else { return 0 }
            for i in pos..<(pos + 3) where !(0x30...0x39).contains(s[i]) { return 0 }
            return 3
        }
    }

    private static func isPunctuation(_ value: UInt32) -> Bool {
        guard let scalar = Unicode.Scalar(value) else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}

extension WordSplitter {
    /// Tekken (Mistral Nemo and later; `maxDigits` 1, no contractions) and GPT-4o (Llama 4; `maxDigits` 3,
    /// contractions after words) as llama.cpp runs them:
    /// `[^\r\n\p{L}\p{N}]?U*L+C?|[^\r\n\p{L}\p{N}]?U+L*C?|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// where llama.cpp writes U as `((?=[\p{L}])([^a-z]))` and L as `((?=[\p{L}])([^A-Z]))`, and C is the optional
    /// contraction `'s 't 're 've 'm 'll 'd` in either case. Its std::regex sees every non-ASCII letter as one
    /// collapsed byte, so U is "A–Z or any non-ASCII letter" and L is "a–z or any non-ASCII letter" (the original
    /// `\p{Lu}`/`\p{Ll}` classes, and `\p{M}`, play no part). Alternatives and quantifiers follow ECMAScript's
    /// backtracking order.
    static func caseAware(
        _ s: UnsafeBufferPointer<UInt32>, _ f: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
        maxDigits: Int, contractions: Bool, into ends: inout [Int]
    ) {
        @inline(__always) func flags(_ i: Int) -> UInt8 { i < end ? f[i] : 0 }
        let letter = CharacterClass.letter.rawValue
        let number = CharacterClass.number.rawValue
        let ws = CharacterClass.whitespace.rawValue
        let cr = UInt32(UInt8(ascii: "\r"))
        let lf = UInt32(UInt8(ascii: "\n"))
        let slash = UInt32(UInt8(ascii: "/"))
        let space = UInt32(UInt8(ascii: " "))
        @inline(__always) func isUpper(_ i: Int) -> Bool { flags(i) & letter != 0 && !(0x61...0x7A).contains(s[i]) }
        @inline(__always) func isLower(_ i: Int) -> Bool { flags(i) & letter != 0 && !(0x41...0x5A).contains(s[i]) }
        @inline(__always) func withContraction(_ i: Int) -> Int {
            guard contractions, i < end else { return i }
            return i + contraction(s, i, end, caseInsensitive: true)
        }
        var pos = start
        while pos < end {
            let c = s[pos]
            let fc = f[pos]
            // The two word alternatives: an optional prefix that is not CR, LF, a letter or a number.
            let prefixed = !(c == cr || c == lf) && fc & (letter | number) == 0
            if prefixed || fc & letter != 0 {
                let wordStart = prefixed ? pos + 1 : pos
                var upperEnd = wordStart
                while isUpper(upperEnd) { upperEnd += 1 }
                if isLower(upperEnd) {
                    // U* then L+ right after the greedy U run.
                    var e = upperEnd + 1
                    while isLower(e) { e += 1 }
                    pos = withContraction(e)
                    ends.append(pos)
                    continue
                }
                // U* gives back letters until one is also an L (a non-ASCII letter): L+ is that letter alone.
                var k = upperEnd - 1
                while k >= wordStart && !isLower(k) { k -= 1 }
                if k >= wordStart {
                    pos = withContraction(k + 1)
                    ends.append(pos)
                    continue
                }
                if upperEnd > wordStart {
                    // U+ then L* (empty here, or the first alternative would have matched).
                    pos = withContraction(upperEnd)
                    ends.append(pos)
                    continue
                }
            }
            if fc & number != 0 {
                var run = 0
                while flags(pos) & number != 0 && run < maxDigits {
                    pos += 1
                    run += 1
                }
                ends.append(pos)
                continue
            }
            let lead = c == space ? 1 : 0
            let f2 = flags(pos + lead)
            if f2 & (ws | letter | number) == 0 && f2 != 0 {
                pos += lead
                while case let g = flags(pos), g & (ws | letter | number) == 0, g != 0 { pos += 1 }
                while pos < end && (s[pos] == cr || s[pos] == lf || s[pos] == slash) { pos += 1 }
                ends.append(pos)
                continue
            }
            pos = whitespaceEnd(s, f, pos, end)
            ends.append(pos)
        }
    }
}

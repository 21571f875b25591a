/// SentencePiece-style BPE (`tokenizer.ggml.model` = `llama`): spaces become `▁`, the text is split into
/// UTF-8 characters, and adjacent symbols whose concatenation is a token merge, highest score first
/// (ties: leftmost). Symbols that are not tokens fall back to `<0xNN>` byte tokens.
struct SentencePieceModel: Sendable {
    /// Token text bytes (as stored, with `▁`) → id.
    let texts: ByteStringTable
    /// Sort keys by id: higher score gives a smaller key.
    let scoreKeys: [UInt32]
    /// The `<0xNN>` token (or the single-byte token) for each byte, or -1.
    let byteTokens: [Int32]
    /// True when no token has `▁` right after another character (other than `▁`): then no merge can cross the
    /// start of a `▁`-word, and each word can be merged on its own with the same result (and a small queue).
    let wordsAreIndependent: Bool

    init(vocabulary: Vocabulary, texts: ByteStringTable) {
        self.texts = texts
        var independent = true
        for token in vocabulary.tokens where independent {
            let utf8 = Array(token.utf8)
            var i = 3
            while i + 2 < utf8.count {
                if utf8[i] == 0xE2 && utf8[i + 1] == 0x96 && utf8[i + 2] == 0x81
                    && !(utf8[i - 3] == 0xE2 && utf8[i - 2] == 0x96 && utf8[i - 1] == 0x81)
                {
                    independent = false
                    break
                }
                i += 1
            }
        }
        wordsAreIndependent = independent
        scoreKeys = vocabulary.scores.map { score in
            let bits = score.bitPattern
            let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            return ~ascending
        }
        var byteTokens = [Int32](repeating: -1, count: 256)
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in 0..<256 {
            let name: [UInt8] = Array("<0x".utf8) + [hex[byte >> 4], hex[byte & 15], UInt8(ascii: ">")]
            byteTokens[byte] = texts.lookup(name) ?? texts.lookup([UInt8(byte)]) ?? -1
        }
        self.byteTokens = byteTokens
    }

    /// Reusable buffers for one `encode` call.
    struct Scratch {
        var text: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [Int32] = []
        var ids: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var queue = MergeQueue()
        var cache = WordCache()
    }

    /// Tokenizes one raw-text fragment; `prefixSpace` puts a space before it (llama.cpp's `add_space_prefix`).
    func encode(
        _ raw: UnsafeBufferPointer<UInt8>, prefixSpace: Bool, scratch: inout Scratch, into output: inout [Int32]
    ) {
        scratch.text.removeAll(keepingCapacity: true)
        scratch.text.reserveCapacity(raw.count + raw.count / 2 + 3)
        if prefixSpace { scratch.text.append(contentsOf: [0xE2, 0x96, 0x81]) }
        for byte in raw {
            if byte == 0x20 {
                scratch.text.append(0xE2)
                scratch.text.append(0x96)
                scratch.text.append(0x81)
            } else {
                scratch.text.append(byte)
            }
        }
        guard !scratch.text.isEmpty else { return }
        let text = scratch.text
        text.withUnsafeBufferPointer { text in
            let n = text.count
            guard wordsAreIndependent else {
                merge(text, 0, n, scratch: &scratch, into: &output)
                return
            }
            var segmentStart = 0
            var p = 1
            while p + 2 < n {
                if text[p] == 0xE2 && text[p + 1] == 0x96 && text[p + 2] == 0x81
                    && !(p >= 3 && text[p - 3] == 0xE2 && text[p - 2] == 0x96 && text[p - 1] == 0x81)
                {
                    mergeWord(text, segmentStart, p, scratch: &scratch, into: &output)
                    segmentStart = p
                    p += 3
                } else {
                    p += 1
                }
            }
            mergeWord(text, segmentStart, n, scratch: &scratch, into: &output)
        }
    }

    /// Encodes the independent word `text[from..<to]`, from the cache when it was seen before.
    private func mergeWord(
        _ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, scratch: inout Scratch, into output: inout [Int32]
    ) {
        let word = UnsafeBufferPointer(rebasing: text[from..<to])
        guard word.count <= WordCache.maximumWordBytes else {
            merge(text, from, to, scratch: &scratch, into: &output)
            return
        }
        let hash = WordCache.hash(word)
        if scratch.cache.append(word, hash: hash, to: &output) { return }
        let before = output.count
        merge(text, from, to, scratch: &scratch, into: &output)
        scratch.cache.insert(word, hash: hash, ids: output[before...])
    }

    /// Runs the merge loop on `text[from..<to]` and appends the ids.
    private func merge(
        _ text: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, scratch: inout Scratch, into output: inout [Int32]
    ) {
        guard from < to else { return }
        scratch.starts.removeAll(keepingCapacity: true)
        scratch.lengths.removeAll(keepingCapacity: true)
        scratch.ids.removeAll(keepingCapacity: true)
        scratch.prev.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        scratch.queue.removeAll()

        let texts = self.texts
        let scoreKeys = self.scoreKeys
        do {
            let n = to
            var offset = from
            var index: Int32 = 0
            while offset < n {
                let lead = text[offset]
                let length = lead < 0xC0 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
                let size = min(length, n - offset)
                scratch.starts.append(Int32(offset))
                scratch.lengths.append(Int32(size))
                scratch.ids.append(-2)  // not looked up yet
                scratch.prev.append(index - 1)
                offset += size
                scratch.next.append(offset == n ? -1 : index + 1)
                index += 1
            }

            func addPair(_ left: Int32, _ right: Int32, _ scratch: inout Scratch) {
                guard left >= 0, right >= 0 else { return }
                let start = Int(scratch.starts[Int(left)])
                let size = Int(scratch.lengths[Int(left)] + scratch.lengths[Int(right)])
                guard let id = texts.lookup(UnsafeBufferPointer(rebasing: text[start..<(start + size)])) else { return }
                scratch.queue.push(
                    MergeQueue.Entry(
                        key: UInt64(scoreKeys[Int(id)]) << 32 | UInt64(UInt32(left)),
                        right: right, size: Int32(size), merged: id))
            }

            let count = scratch.starts.count
            if count > 1 {
                for i in 1..<count { addPair(Int32(i - 1), Int32(i), &scratch) }
            }
            while !scratch.queue.isEmpty {
                let entry = scratch.queue.pop()
                let left = Int(entry.key & 0xFFFF_FFFF)
                let right = Int(entry.right)
                let leftLength = scratch.lengths[left]
                let rightLength = scratch.lengths[right]
                guard leftLength > 0, rightLength > 0, leftLength + rightLength == entry.size else { continue }
                scratch.lengths[left] = entry.size
                scratch.lengths[right] = 0
                scratch.ids[left] = entry.merged
                let after = scratch.next[right]
                scratch.next[left] = after
                if after >= 0 { scratch.prev[Int(after)] = Int32(left) }
                addPair(scratch.prev[left], Int32(left), &scratch)
                addPair(Int32(left), after, &scratch)
            }

            var i: Int32 = 0
            while i >= 0 {
                let symbol = Int(i)
                var id = scratch.ids[symbol]
                let start = Int(scratch.starts[symbol])
                let length = Int(scratch.lengths[symbol])
                if id == -2 {
                    id = texts.lookup(UnsafeBufferPointer(rebasing: text[start..<(start + length)])) ?? -1
                }
                if id >= 0 {
                    output.append(id)
                } else {
                    for j in start..<(start + length) {
                        let byteID = byteTokens[Int(text[j])]
                        if byteID >= 0 { output.append(byteID) }
                    }
                }
                i = scratch.next[symbol]
            }
        }
    }
}

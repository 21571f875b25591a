/// Byte-level BPE (`tokenizer.ggml.model` = `gpt2`): words from the pre-tokenizer are merged pair by pair,
/// lowest merge rank first (ties: leftmost), over token ids rather than strings.
struct BytePairModel: Sendable {
    /// The token standing for each raw byte (its byte-level character), or -1.
    let byteTokens: [Int32]
    /// (left id, right id) → (rank, merged id), from `tokenizer.ggml.merges`.
    let merges: MergeTable
    /// Raw bytes → id for whole-word look-ups (`ignore_merges`).
    let wholeWords: ByteStringTable?
    let preTokenizer: PreTokenizer

    /// Builds the merge table; `idsByText` maps each vocabulary text (byte-level alphabet) to its id.
    init(vocabulary: Vocabulary, idsByText: [String: Int32], rawBytes: ByteStringTable) {
        var byteTokens = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            let text = String(Character(Unicode.Scalar(ByteLevel.scalarForByte[byte])!))
            byteTokens[byte] = idsByText[text] ?? -1
        }
        self.byteTokens = byteTokens
        var entries: [(left: Int32, right: Int32, rank: Int32, merged: Int32)] = []
        entries.reserveCapacity(vocabulary.merges.count)
        for (rank, line) in vocabulary.merges.enumerated() {
            // llama.cpp splits at the first space after the first character.
            let utf8 = Array(line.utf8)
            guard utf8.count > 1, let space = utf8[1...].firstIndex(of: UInt8(ascii: " ")) else { continue }
            let left = String(decoding: utf8[..<space], as: UTF8.self)
            let right = String(decoding: utf8[(space + 1)...], as: UTF8.self)
            guard let l = idsByText[left], let r = idsByText[right], let m = idsByText[left + right] else { continue }
            entries.append((l, r, Int32(rank), m))
        }
        merges = MergeTable(entries)
        wholeWords = vocabulary.ignoreMerges ? rawBytes : nil
        preTokenizer = vocabulary.preTokenizer
    }

    /// Reusable buffers for one `encode` call.
    struct Scratch {
        var scalars: [UInt32] = []
        var flags: [UInt8] = []
        var offsets: [Int] = []
        var ends: [Int] = []
        var ids: [Int32] = []
        var lengths: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var queue = MergeQueue()
        var cache = WordCache()
    }

    /// Tokenizes one raw-text fragment, appending ids to `output`.
    func encode(_ text: UnsafeBufferPointer<UInt8>, scratch: inout Scratch, into output: inout [Int32]) {
        guard !text.isEmpty else { return }
        Self.decodeScalars(text, into: &scratch)
        scratch.ends.removeAll(keepingCapacity: true)
        let count = scratch.scalars.count
        scratch.scalars.withUnsafeBufferPointer { s in
            scratch.flags.withUnsafeBufferPointer { f in
                switch preTokenizer {
                case .qwen2: WordSplitter.llama3(s, f, 0, count, maxDigits: 1, into: &scratch.ends)
                case .llama3: WordSplitter.llama3(s, f, 0, count, maxDigits: 3, into: &scratch.ends)
                case .gpt2: WordSplitter.gpt2(s, f, 0, count, into: &scratch.ends)
                case .starcoder: WordSplitter.digitsThenGPT2(s, f, 0, count, into: &scratch.ends)
                case .qwen35:
                    WordSplitter.llama3(s, f, 0, count, maxDigits: 1, marksAreLetters: true, into: &scratch.ends)
                case .tekken:
                    WordSplitter.caseAware(s, f, 0, count, maxDigits: 1, contractions: false, into: &scratch.ends)
                case .gpt4o:
                    WordSplitter.caseAware(s, f, 0, count, maxDigits: 3, contractions: true, into: &scratch.ends)
                case .default: WordSplitter.defaultChain(s, f, 0, count, into: &scratch.ends)
                }
            }
        }
        var wordStart = 0
        let ends = scratch.ends
        for end in ends {
            let from = scratch.offsets[wordStart]
            let to = scratch.offsets[end]
            let word = UnsafeBufferPointer(rebasing: text[from..<to])
            if word.count == 1 || word.count > WordCache.maximumWordBytes {
                encodeWord(word, scratch: &scratch, into: &output)
            } else {
                let hash = WordCache.hash(word)
                if !scratch.cache.append(word, hash: hash, to: &output) {
                    let before = output.count
                    encodeWord(word, scratch: &scratch, into: &output)
                    scratch.cache.insert(word, hash: hash, ids: output[before...])
                }
            }
            wordStart = end
        }
    }

    /// Decodes valid UTF-8 into code points, their classes and byte offsets (one extra offset at the end).
    static func decodeScalars(_ text: UnsafeBufferPointer<UInt8>, into scratch: inout Scratch) {
        scratch.scalars.removeAll(keepingCapacity: true)
        scratch.flags.removeAll(keepingCapacity: true)
        scratch.offsets.removeAll(keepingCapacity: true)
        var i = 0
        let n = text.count
        let table = CharacterClass.bmpTable
        while i < n {
            let b0 = UInt32(text[i])
            var value: UInt32
            var length: Int
            if b0 < 0x80 {
                value = b0
                length = 1
            } else if b0 < 0xE0 {
                value = (b0 & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F)
                length = 2
            } else if b0 < 0xF0 {
                value = (b0 & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F)
                length = 3
            } else {
                value =
                    (b0 & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6
                    | UInt32(text[i + 3] & 0x3F)
                length = 4
            }
            scratch.scalars.append(value)
            scratch.flags.append(value < 0x10000 ? table[Int(value)] : CharacterClass.of(value).rawValue)
            scratch.offsets.append(i)
            i += length
        }
        scratch.offsets.append(n)
    }

    /// Merges one word's bytes and appends the resulting ids.
    func encodeWord(_ word: UnsafeBufferPointer<UInt8>, scratch: inout Scratch, into output: inout [Int32]) {
        let n = word.count
        if n == 1 {
            let id = byteTokens[Int(word[0])]
            if id >= 0 { output.append(id) }
            return
        }
        if let wholeWords, let id = wholeWords.lookup(word) {
            output.append(id)
            return
        }
        scratch.ids.removeAll(keepingCapacity: true)
        scratch.lengths.removeAll(keepingCapacity: true)
        scratch.prev.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        for i in 0..<n {
            scratch.ids.append(byteTokens[Int(word[i])])
            scratch.lengths.append(1)
            scratch.prev.append(Int32(i - 1))
            scratch.next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        scratch.queue.removeAll()
        let merges = self.merges
        func addPair(_ left: Int32, _ right: Int32, _ scratch: inout Scratch) {
            guard left >= 0, right >= 0 else { return }
            let l = scratch.ids[Int(left)]
            let r = scratch.ids[Int(right)]
            guard l >= 0, r >= 0, let found = merges.lookup(l, r) else { return }
            scratch.queue.push(
                MergeQueue.Entry(
                    key: UInt64(UInt32(bitPattern: found.rank)) << 32 | UInt64(UInt32(left)),
                    right: right,
                    size: scratch.lengths[Int(left)] + scratch.lengths[Int(right)],
                    merged: found.merged))
        }
        for i in 1..<n { addPair(Int32(i - 1), Int32(i), &scratch) }
        while !scratch.queue.isEmpty {
            let entry = scratch.queue.pop()
            let left = Int(entry.key & 0xFFFF_FFFF)
            let right = Int(entry.right)
            let leftLength = scratch.lengths[left]
            let rightLength = scratch.lengths[right]
            guard leftLength > 0, rightLength > 0, leftLength + rightLength == entry.size else { continue }
            scratch.ids[left] = entry.merged
            scratch.lengths[left] = entry.size
            scratch.lengths[right] = 0
            let after = scratch.next[right]
            scratch.next[left] = after
            if after >= 0 { scratch.prev[Int(after)] = Int32(left) }
            addPair(scratch.prev[left], Int32(left), &scratch)
            addPair(Int32(left), after, &scratch)
        }
        var i: Int32 = 0
        while i >= 0 {
            let id = scratch.ids[Int(i)]
            if id >= 0 { output.append(id) }
            i = scratch.next[Int(i)]
        }
    }
}

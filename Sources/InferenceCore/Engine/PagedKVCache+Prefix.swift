import Basics

extension PagedKVCache {
    /// Tokens whose content the cache knows for `sequence` (those recorded or reused so far).
    public func recordedTokens(of sequence: SequenceID) -> Int { contents[sequence]?.tokens.count ?? 0 }

    /// Reuses cached blocks for `sequence`'s next tokens: while the next full block of `tokens` (at most `limit`
    /// tokens in all) is in the index with exactly these tokens, the sequence takes a reference to it instead of
    /// computing it. The sequence must hold exactly its recorded tokens, ending on a block boundary (else nothing is
    /// reused). Returns the tokens reused, a multiple of `blockSize`. A look-up at position 0 counts as a query.
    public func reuseCachedBlocks(for sequence: SequenceID, tokens: ArraySlice<Int32>, limit: Int) -> Int {
        guard prefixCaching else { return 0 }
        var content = contents[sequence] ?? SequenceContent()
        var table = tables[sequence] ?? []
        guard content.tokens.count == table.count * blockSize else { return 0 }
        if content.tokens.isEmpty { statistics.queries += 1 }
        var reused = 0
        var parent = content.hashes.last ?? PrefixHash.root
        let start = tokens.startIndex
        while reused + blockSize <= min(limit, tokens.count) {
            let blockTokens = tokens[(start + reused)..<(start + reused + blockSize)]
            let hash = PrefixHash.block(parent: parent, tokens: blockTokens)
            guard let block = index[hash], self.blockTokens[block].elementsEqual(blockTokens) else { break }
            if references[block] == 0 { idle.remove(block) }
            references[block] += 1
            table.append(block)
            content.tokens += blockTokens
            content.hashes.append(hash)
            parent = hash
            reused += blockSize
        }
        if reused > 0 {
            tables[sequence] = table
            statistics.hitTokens += reused
        }
        contents[sequence] = content
        return reused
    }

    /// Notes that `sequence`'s positions `position…` now hold the keys and values of `tokens`, and enters every
    /// block this fills into the index (unless a block with the same content is there already). Does nothing
    /// without prefix caching.
    public func record(_ sequence: SequenceID, tokens: some Collection<Int32>, at position: Int) {
        guard prefixCaching, let table = tables[sequence] else { return }
        var content = contents[sequence] ?? SequenceContent()
        if content.tokens.count > position {
            content.tokens.removeLast(content.tokens.count - position)
            content.hashes.removeLast(max(0, content.hashes.count - position / blockSize))
        }
        guard content.tokens.count == position else {
            // A gap: the content before `position` is unknown, so nothing past it can be addressed.
            contents[sequence] = content
            return
        }
        content.tokens += tokens
        while content.hashes.count < content.tokens.count / blockSize, content.hashes.count < table.count {
            let b = content.hashes.count
            let blockTokens = content.tokens[(b * blockSize)..<((b + 1) * blockSize)]
            let hash = PrefixHash.block(parent: content.hashes.last ?? PrefixHash.root, tokens: blockTokens)
            content.hashes.append(hash)
            let block = table[b]
            if blockHashes[block] == nil && index[hash] == nil {
                index[hash] = block
                blockHashes[block] = hash
                self.blockTokens[block] = Array(blockTokens)
            }
        }
        contents[sequence] = content
    }

    /// The idle cached blocks, least recently used first (for tests).
    var idleBlocksInOrder: [Int] { idle.inOrder }

    /// Whether `block` is in the content index (for tests).
    func isIndexed(_ block: Int) -> Bool { blockHashes[block] != nil }

    /// Sequences holding `block` (for tests).
    func referenceCount(of block: Int) -> Int { references[block] }
}

extension PagedKVCache {
    /// Takes `sequence`'s blocks out of the index and forgets what they hold (their content is suspect: the pass
    /// that wrote them produced non-finite logits).
    func forgetContent(of sequence: SequenceID) {
        for block in tables[sequence] ?? [] where references[block] == 1 { unregister(block) }
        contents.removeValue(forKey: sequence)
    }
}

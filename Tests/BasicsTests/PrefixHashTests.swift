import Basics
import Testing

@Suite("Prefix hash")
struct PrefixHashTests {
    @Test("Equal prefixes give equal chains; a changed token changes its block's hash and every later one")
    func chain() {
        let tokens: [Int32] = (0..<64).map { Int32($0 * 37 % 1000) }
        let chain = PrefixHash.chain(tokens, blockSize: 16)
        #expect(chain.count == 4)
        #expect(PrefixHash.chain(tokens + [1, 2, 3], blockSize: 16) == chain)
        #expect(PrefixHash.chain(tokens, blockSize: 16, limit: 2) == Array(chain.prefix(2)))
        var changed = tokens
        changed[20] += 1
        let other = PrefixHash.chain(changed, blockSize: 16)
        #expect(other[0] == chain[0])
        #expect(zip(other.dropFirst(), chain.dropFirst()).allSatisfy { $0 != $1 })
        // The same block after a different parent is another block.
        #expect(
            PrefixHash.block(parent: chain[0], tokens: tokens[16..<32])
                != PrefixHash.block(parent: PrefixHash.root, tokens: tokens[16..<32]))
        #expect(Set(chain).count == 4)
        #expect(PrefixHash.chain(Array(tokens.prefix(15)), blockSize: 16).isEmpty)
    }
}

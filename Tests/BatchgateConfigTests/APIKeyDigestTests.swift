import Foundation
import Testing

@testable import BatchgateConfig

/// A generator that always returns the same word, to make key generation deterministic.
private struct ConstantGenerator: RandomNumberGenerator {
    let word: UInt64
    mutating func next() -> UInt64 { word }
}

@Suite("API key digests")
struct APIKeyDigestTests {
    @Test("SHA-256 matches the FIPS 180-2 test vectors")
    func sha256Vectors() {
        #expect(APIKeyDigest.sha256Hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(APIKeyDigest.sha256Hex(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("Generated keys are bg- plus 43 base64url characters, and differ")
    func generatedKeys() {
        let keys = (0..<20).map { _ in APIKeyDigest.generateKey() }
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for key in keys {
            #expect(key.hasPrefix("bg-"))
            #expect(key.count == 46)
            #expect(key.dropFirst(3).allSatisfy { alphabet.contains($0) })
        }
        #expect(Set(keys).count == keys.count)
    }

    @Test("Key generation encodes the generator's bytes little-endian, base64url without padding")
    func deterministicKey() {
        var zeros = ConstantGenerator(word: 0)
        #expect(APIKeyDigest.generateKey(using: &zeros) == "bg-" + String(repeating: "A", count: 43))
        var ones = ConstantGenerator(word: .max)
        #expect(APIKeyDigest.generateKey(using: &ones) == "bg-" + String(repeating: "_", count: 42) + "8")
    }

    @Test(
        "Digest comparison ignores case and rejects any difference",
        arguments: [
            ("ab12", "ab12", true), ("AB12", "ab12", true), ("ab12", "ab13", false), ("ab12", "ab1", false),
            ("", "", true), ("ab12", "ab12 ", false),
        ]
    )
    func digestsEqual(_ lhs: String, _ rhs: String, _ equal: Bool) {
        #expect(APIKeyDigest.digestsEqual(lhs, rhs) == equal)
    }

    @Test("Well-formed digests are exactly 64 hex characters")
    func wellFormed() {
        let digest = APIKeyDigest.sha256Hex(of: "x")
        #expect(APIKeyDigest.isWellFormedDigest(digest))
        #expect(APIKeyDigest.isWellFormedDigest(digest.uppercased()))
        #expect(!APIKeyDigest.isWellFormedDigest(String(digest.dropLast())))
        #expect(!APIKeyDigest.isWellFormedDigest(digest + "0"))
        #expect(!APIKeyDigest.isWellFormedDigest(String(digest.dropLast()) + "g"))
    }

    @Test("A key matches any of its rotation digests")
    func keyMatchesRotation() {
        let old = APIKeyDigest.sha256Hex(of: "old")
        let new = APIKeyDigest.sha256Hex(of: "new")
        let key = BatchgateConfiguration.APIKey(name: "k", sha256: [old, new])
        #expect(key.matches(digest: old))
        #expect(key.matches(digest: new.uppercased()))
        #expect(!key.matches(digest: APIKeyDigest.sha256Hex(of: "other")))
    }
}

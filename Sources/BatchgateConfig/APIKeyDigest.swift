import Crypto
import Foundation

/// Creating API keys and comparing their SHA-256 digests; the configuration stores only digests.
public enum APIKeyDigest {
    /// Every generated key starts with this prefix, so leaked keys are easy to recognise.
    public static let keyPrefix = "bg-"

    /// A new random key: `bg-` followed by 43 base64url characters (32 random bytes, no padding).
    public static func generateKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return generateKey(using: &generator)
    }

    /// A new key drawn from `generator`; use a cryptographically secure generator outside tests.
    public static func generateKey<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return keyPrefix + base64URL(bytes)
    }

    /// Lowercase hex SHA-256 of the key's UTF-8 bytes.
    public static func sha256Hex(of key: String) -> String {
        let digest = sha256(of: key[...])
        let hex = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for index in 0..<32 {
            text.append(hex[Int(digest[index] >> 4)])
            text.append(hex[Int(digest[index] & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The 32 bytes of the SHA-256 of the key's UTF-8 bytes: what a presented key is compared by, with no text made.
    public static func sha256(of key: Substring) -> SIMD32<UInt8> {
        var hasher = SHA256()
        var key = key
        key.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        var bytes = SIMD32<UInt8>()
        hasher.finalize().withUnsafeBytes { raw in
            for index in 0..<32 { bytes[index] = raw[index] }
        }
        return bytes
    }

    /// The 32 bytes a 64-character hex digest (either case) stands for, or nil when it is not one.
    public static func digestBytes(hex: String) -> SIMD32<UInt8>? {
        guard isWellFormedDigest(hex) else { return nil }
        func nibble(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: byte - UInt8(ascii: "A") + 10
            }
        }
        let text = Array(hex.utf8)
        var bytes = SIMD32<UInt8>()
        for index in 0..<32 { bytes[index] = nibble(text[2 * index]) << 4 | nibble(text[2 * index + 1]) }
        return bytes
    }

    /// Whether `presented` is one of `candidates`, every candidate compared whole, so that neither the time taken
    /// nor an early exit tells which one matched or how close a guess came.
    public static func matchesAny(_ candidates: [SIMD32<UInt8>], _ presented: SIMD32<UInt8>) -> Bool {
        var found = false
        for candidate in candidates {
            let difference = candidate ^ presented
            var any: UInt8 = 0
            for index in 0..<32 { any |= difference[index] }
            found = any == 0 || found
        }
        return found
    }

    /// Whether `text` is 64 hexadecimal characters (either case).
    public static func isWellFormedDigest(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy { byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
            }
    }

    /// Compares two hex digests ignoring ASCII case, in time that depends only on their lengths.
    public static func digestsEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            // OR-ing 0x20 folds ASCII letters to lowercase and leaves digits unchanged.
            difference |= (left[index] | 0x20) ^ (right[index] | 0x20)
        }
        return difference == 0
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

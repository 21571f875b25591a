import Testing
import WorkerProtocol

/// One targeted input per error code, with offsets taken from the documented layouts.
@Suite("Worker protocol decoder errors")
struct ErrorCaseTests {
    /// A step with one admission carrying sampling parameters: admission at 28 (flags at 40, 41;
    /// token count at 42, one token at 46), sampling from 50 (temperature first, top logprobs at
    /// +37, logit-bias count at +43, the output constraint's kind byte at +51).
    static let step = Step(
        stepID: 5,
        admit: [
            Admission(sequenceID: 1, firstPosition: 0, tokens: [7], isLastChunk: true, sampling: SamplingParameters())
        ],
        decode: [2], release: [3])
    /// A result with one token and one error: token entry at 40 (token id at 48, logprob at 52,
    /// finish at 60), error count at 65, error entry at 69 (code at 77, message bytes from 83).
    static let result = StepResult(
        stepID: 5, tokens: [SampledToken(sequenceID: 1, token: 9, kvBlocksHeld: 1)],
        errors: [SequenceError(sequenceID: 2, code: .invalidToken, message: "x")])

    static func code(_ bytes: [UInt8]) -> ProtocolError.Code? {
        do {
            _ = try WorkerMessage.decode(bytes)
            return nil
        } catch {
            return error.code
        }
    }

    static func patched<T: FixedWidthInteger>(_ bytes: [UInt8], at index: Int, _ value: T) -> [UInt8] {
        var bytes = bytes
        withUnsafeBytes(of: value.littleEndian) { raw in
            for offset in 0..<raw.count { bytes[index + offset] = raw[offset] }
        }
        return bytes
    }

    @Test("Short input is truncated")
    func truncated() {
        #expect(Self.code([]) == .truncated)
        #expect(Self.code(Array(Self.step.encoded()[0..<10])) == .truncated)
        // A body cut short with the header length fixed up to match.
        let cut = Array(StepResult(stepID: 1).encoded().dropLast(2))
        #expect(Self.code(Self.patched(cut, at: 8, UInt32(cut.count - 16))) == .truncated)
    }

    @Test("A wrong magic number is bad_magic")
    func badMagic() {
        #expect(Self.code(Self.patched(Self.step.encoded(), at: 0, UInt32(0x1234_5678))) == .badMagic)
    }

    @Test("Another protocol version is unsupported_version", arguments: [UInt16(1), 3])
    func unsupportedVersion(version: UInt16) {
        #expect(Self.code(Self.patched(Self.step.encoded(), at: 4, version)) == .unsupportedVersion)
    }

    @Test("An unknown kind byte is unknown_kind", arguments: [UInt8(0), 7, 255])
    func unknownKind(kind: UInt8) {
        #expect(Self.code(Self.patched(Self.step.encoded(), at: 6, kind)) == .unknownKind)
    }

    @Test("A pipeline-stage kind on the worker link is unexpected_kind", arguments: [UInt8(4), 5, 6])
    func stageKindOnWorkerLink(kind: UInt8) {
        #expect(Self.code(Self.patched(Self.step.encoded(), at: 6, kind)) == .unexpectedKind)
    }

    @Test("Decoding a step as a hello is unexpected_kind")
    func unexpectedKind() {
        #expect(throws: ProtocolError(.unexpectedKind, "expected hello, got step")) {
            try Hello(decoding: Self.step.encoded())
        }
    }

    @Test("A header length beyond the bytes is length_mismatch", arguments: [UInt32(1000), .max])
    func lengthMismatch(length: UInt32) {
        #expect(Self.code(Self.patched(Self.step.encoded(), at: 8, length)) == .lengthMismatch)
    }

    @Test("An absurd count is count_too_large, not a huge allocation", arguments: [24, 42, 50 + 43])
    func countTooLarge(offset: Int) {
        #expect(Self.code(Self.patched(Self.step.encoded(), at: offset, UInt32.max)) == .countTooLarge)
    }

    @Test("Bytes after the message are trailing_bytes")
    func trailingBytes() {
        // After the body the header announces.
        #expect(Self.code(Self.step.encoded() + [0]) == .trailingBytes)
        // Inside the announced body, after the last field.
        let longer = Self.step.encoded() + [0, 0]
        #expect(Self.code(Self.patched(longer, at: 8, UInt32(longer.count - 16))) == .trailingBytes)
    }

    @Test("Out-of-domain fields are invalid_value")
    func invalidValue() {
        let step = Self.step.encoded()
        let result = Self.result.encoded()
        #expect(Self.code(Self.patched(step, at: 7, UInt8(1))) == .invalidValue, "header flags")
        #expect(Self.code(Self.patched(step, at: 12, UInt32(1))) == .invalidValue, "header reserved")
        #expect(Self.code(Self.patched(step, at: 40, UInt8(2))) == .invalidValue, "bool")
        #expect(Self.code(Self.patched(step, at: 46, Int32(-1))) == .invalidValue, "negative token")
        #expect(Self.code(Self.patched(step, at: 50, Float.nan.bitPattern)) == .invalidValue, "NaN temperature")
        #expect(Self.code(Self.patched(step, at: 50 + 37, UInt8(21))) == .invalidValue, "top logprobs over 20")
        #expect(Self.code(Self.patched(step, at: 50 + 51, UInt8(3))) == .invalidValue, "output constraint kind")
        #expect(Self.code(Self.patched(result, at: 52, Float.nan.bitPattern)) == .invalidValue, "NaN logprob")
        #expect(Self.code(Self.patched(result, at: 60, UInt8(9))) == .invalidValue, "finish reason")
        #expect(Self.code(Self.patched(result, at: 69 + 8, UInt16(99))) == .invalidValue, "sequence error code")
        #expect(Self.code(Self.patched(result, at: 69 + 14, UInt8(0xFF))) == .invalidValue, "UTF-8")
    }

    @Test("Every error code has a stable snake_case label")
    func labels() {
        for code in ProtocolError.Code.allCases {
            #expect(code.rawValue.allSatisfy { $0.isLowercase || $0 == "_" })
        }
        #expect(ProtocolError(.truncated, "x").description == "truncated: x")
    }
}

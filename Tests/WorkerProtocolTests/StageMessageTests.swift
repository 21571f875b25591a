import Testing

@testable import WorkerProtocol

/// The pipeline-stage messages: round trips, the F16 encoding, and what the decoder refuses.
@Suite("Stage messages")
struct StageMessageTests {
    static let rows = [
        StageRow(sequenceID: 9, position: 0, isOutput: false), StageRow(sequenceID: 9, position: 1, isOutput: true),
    ]
    static let pass = StageForward(
        passID: 7, releases: [3], rows: rows, hidden: HiddenRows(width: 3, values: [1, -2, 3.5, 0, 1e-30, -1e30]))

    static func code(_ bytes: [UInt8]) -> ProtocolError.Code? {
        do {
            _ = try StageMessage.decode(bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("Each message decodes to itself")
    func roundTrips() throws {
        let hello = StageHello(
            processID: 4, modelName: "m", layerCount: 30, firstLayer: 12, endLayer: 30, embeddingLength: 576,
            contextLength: 8192, kvBlocksTotal: 100, kvBlockSize: 16)
        let answer = StageReturn(passID: 7, stageNanoseconds: 12_345, hidden: HiddenRows(width: 3, values: [1, 2, 3]))
        let failed = StageReturn(passID: 8, failure: "kv_cache_full: no room", hidden: HiddenRows(width: 3, values: []))
        for message in [StageMessage.hello(hello), .forward(Self.pass), .answer(answer), .answer(failed)] {
            var bytes: [UInt8] = []
            message.encode(into: &bytes)
            #expect(try StageMessage.decode(bytes) == message)
        }
        #expect(StageForward.heartbeat(passID: 1, width: 8).isHeartbeat)
        #expect(!Self.pass.isHeartbeat)
    }

    @Test("F16 rows take two bytes a value and come back rounded to F16")
    func halfFloats() throws {
        var pass = Self.pass
        pass.hidden.encoding = .f16
        let bytes = pass.encoded()
        #expect(bytes.count == Self.pass.encoded().count - 6 * 2)
        let decoded = try StageForward(decoding: bytes)
        #expect(decoded.hidden.values == [1, -2, 3.5, 0, 0, -.infinity])
        #expect(decoded.encoded() == bytes)
    }

    @Test("NaN, a row count that disagrees, a zero width, a failure with rows and worker messages are refused")
    func refusals() throws {
        var nan = Self.pass
        nan.hidden.values[4] = .nan
        #expect(Self.code(nan.encoded()) == .invalidValue)
        var short = Self.pass
        short.hidden.values.removeLast(3)
        #expect(Self.code(short.encoded()) == .invalidValue)
        var zero = Self.pass.encoded()
        // The width sits after the header, pass id, releases (count and one id) and rows (count and two rows),
        // and the encoding byte.
        let widthOffset = MessageHeader.size + 8 + 4 + 8 + 4 + 2 * StageRow.size + 1
        #expect(zero[widthOffset] == 3)
        zero[widthOffset] = 0
        #expect(Self.code(zero) == .invalidValue)
        var answer = StageReturn(passID: 1, failure: "x", hidden: HiddenRows(width: 3, values: []))
        answer.hidden.values = [1, 2, 3]
        #expect(Self.code(answer.encoded()) == .invalidValue)
        #expect(Self.code(Step(stepID: 1).encoded()) == .unexpectedKind)
        #expect(throws: ProtocolError.self) { try WorkerMessage.decode(Self.pass.encoded()) }
        let hello = StageHello(
            processID: 4, modelName: "m", layerCount: 30, firstLayer: 12, endLayer: 31, embeddingLength: 576,
            contextLength: 8192, kvBlocksTotal: 100, kvBlockSize: 16)
        #expect(Self.code(hello.encoded()) == .invalidValue)
    }
}

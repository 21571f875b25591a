import Testing
import WorkerProtocol

@Suite("Worker protocol round trips")
struct RoundTripTests {
    @Test("Random messages decode to what was encoded, and re-encode to the same bytes", arguments: [1, 2, 3, 4])
    func randomRoundTrip(seed: UInt64) throws {
        var random = RandomMessages(seed: seed)
        for _ in 0..<1_000 {
            let message = random.message()
            let bytes = message.encoded()
            let decoded = try WorkerMessage.decode(bytes)
            #expect(decoded == message)
            #expect(decoded.encoded() == bytes)
        }
    }

    @Test("Each message type decodes through its own initializer")
    func typedDecoding() throws {
        var random = RandomMessages(seed: 42)
        let hello = random.hello()
        let step = random.step()
        let result = random.stepResult()
        #expect(try Hello(decoding: hello.encoded()) == hello)
        #expect(try Step(decoding: step.encoded()) == step)
        #expect(try StepResult(decoding: result.encoded()) == result)
    }

    @Test("The header is little-endian: magic, version, kind, flags, body length, reserved")
    func headerLayout() {
        let bytes = Step(stepID: 0x0102_0304_0506_0708).encoded()
        #expect(Array(bytes[0..<4]) == Array("BGWP".utf8))
        #expect(Array(bytes[4..<8]) == [2, 0, MessageKind.step.rawValue, 0])
        #expect(Array(bytes[8..<16]) == [UInt8(bytes.count - 16), 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[16..<24]) == [8, 7, 6, 5, 4, 3, 2, 1])
    }

    @Test("encode(into:) appends after what the buffer already holds")
    func appends() throws {
        var buffer: [UInt8] = [9, 9, 9]
        let step = Step(stepID: 7, decode: [1, 2, 3])
        step.encode(into: &buffer)
        #expect(Array(buffer[0..<3]) == [9, 9, 9])
        #expect(try Step(decoding: Array(buffer[3...])) == step)
    }

    @Test("A step's encodedSize is the length of its encoding", arguments: [5, 6, 7])
    func stepSize(seed: UInt64) {
        var random = RandomMessages(seed: seed)
        for _ in 0..<500 {
            let step = random.step()
            #expect(step.encodedSize == step.encoded().count)
            for admission in step.admit {
                let alone = Step(stepID: 1, admit: [admission])
                #expect(
                    Step.encodedSize(decodes: 0, releases: 0) + admission.encodedSize == alone.encoded().count)
            }
        }
    }

    @Test("An empty step and an empty result round-trip")
    func emptyMessages() throws {
        #expect(try Step(decoding: Step(stepID: 0).encoded()) == Step(stepID: 0))
        #expect(try StepResult(decoding: StepResult(stepID: 0).encoded()) == StepResult(stepID: 0))
    }
}

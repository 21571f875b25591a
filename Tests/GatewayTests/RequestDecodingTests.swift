import Foundation
import NIOCore
import Testing

@testable import Gateway
@testable import OpenAIAPI

/// The fast reading of request bodies (`JSONScanner` and `OpenAIRequest(scanned:)`) against the reference reading
/// by `JSONDecoder`: wherever the fast path reads a body it must give the same request, and it must read the plain
/// bodies that clients send.
@Suite("Request decoding")
struct RequestDecodingTests {
    /// Plain bodies the fast path must read itself.
    static let plain: [String] = [
        #"{"model":"tiny","prompt":[1,15,200,37],"max_tokens":1,"temperature":0}"#,
        #"{"model":"tiny","prompt":"Once upon a time","max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}"#,
        #"{"model":"tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#,
        #" { "model" : "tiny" , "prompt" : [ ] , "n" : 1 , "user" : "u" , "echo" : false , "ignore_eos" : true } "#,
        #"{"model":"tiny","prompt":["one text"],"stop":["\n\n","END"],"seed":-42,"top_k":40,"top_p":0.95,"min_p":0.05}"#,
        #"{"model":"tiny","prompt":"x","stop":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","logprobs":3,"presence_penalty":-1.5e0}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":"caf\u00e9 \u65e5\u672c ☃"}],"logprobs":true,"top_logprobs":5}"#,
        #"{"model":"tiny","prompt":"x","logit_bias":{"15":-100,"200":2.5},"frequency_penalty":0.25E+1,"repetition_penalty":1.1}"#,
        #"{"model":"tiny","prompt":"x","max_completion_tokens":9,"temperature":null,"stop":null,"unknown":{"deep":[1,{"a":[]}]}}"#,
        #"{"prompt":"x","model":"tiny","messages":null,"stream_options":{"include_usage":null,"other":1}}"#,
        #"{"model":"tiny","prompt":[-2147483648,2147483647,0],"max_tokens":-0}"#,
    ]

    /// Bodies the fast path leaves to `JSONDecoder` (an error, or a form it does not read).
    static let unusual: [String] = [
        #"{"model":"tiny","prompt":"x","max_tokens":16.0}"#,
        #"{"model":"tiny","prompt":"x","max_tokens":1e2}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#,
        #"{"model":"tiny","prompt":"x","model":"other"}"#,
        #"{"model":"tiny","prompt":[1,2147483648]}"#,
        #"{"model":"tiny","prompt":[1,"a"]}"#,
        #"{"model":"tiny","prompt":"x","temperature":1e400}"#,
        #"{"model":"tiny","prompt":"\ud800"}"#,
        #"{"model":"tiny","prompt":"x",}"#,
        #"{"model":"tiny","prompt":"x"} extra"#,
        #"{"model":"tiny","prompt":01}"#,
        #"{"model":"tiny","prompt":"x","stream":1}"#,
        #"{"model":"tiny","prompt":"x","temperature":"0.5"}"#,
        #"{"model":"tiny","prompt":"x","logprobs":2.5}"#,
        "{\"model\":\"tiny\",\"prompt\":\"tab\tinside\"}",
        #"[1,2]"#, "", "null", #"{"model": "#,
    ]

    /// Both readings of `body`: the fast one (nil when it leaves the body to `JSONDecoder`, or when its structured
    /// fields are refused) and the reference one.
    static func readings(_ body: [UInt8]) -> (fast: OpenAIRequest?, reference: Result<OpenAIRequest, GatewayError>) {
        let document = body.withUnsafeBufferPointer { JSONScanner.parse($0) }
        var fast = document.flatMap { OpenAIRequest(scanned: $0) }
        do {
            try fast?.readStructuredFields(document) { nil }
        } catch {
            fast = nil
        }
        let reference = Result { () throws(GatewayError) in try OpenAIRequest.decodeWithFoundation(body) }
        return (fast, reference)
    }

    @Test("Plain bodies are read by the fast path, as JSONDecoder reads them", arguments: plain)
    func plainBodies(body: String) throws {
        let (fast, reference) = Self.readings(Array(body.utf8))
        let request = try #require(fast)
        #expect(request == (try reference.get()))
        #expect((try OpenAIRequest.decode(Array(body.utf8))) == request)
    }

    @Test("Unusual and bad bodies are left to JSONDecoder, which reads or refuses them", arguments: unusual)
    func unusualBodies(body: String) {
        let (fast, reference) = Self.readings(Array(body.utf8))
        #expect(fast == nil)
        switch (reference, Result { () throws(GatewayError) in try OpenAIRequest.decode(Array(body.utf8)) }) {
        case (.success(let expected), .success(let decoded)): #expect(decoded == expected)
        case (.failure(let expected), .failure(let decoded)): #expect(decoded == expected)
        default: Issue.record("decode and JSONDecoder disagree on \(body)")
        }
    }

    @Test("Every bad request of the HTTP table is read the same by both paths")
    func badRequestBodies() {
        for bad in BadRequestTests.cases {
            guard let body = bad.body, body.readableBytes < 1 << 20 else { continue }
            let bytes = Array(body.readableBytesView)
            let (fast, reference) = Self.readings(bytes)
            if let fast { #expect((try? reference.get()) == fast, "\(bad.name)") }
        }
    }

    @Test("Strings decode their escapes; invalid UTF-8 and control characters are not read")
    func scannerStrings() {
        func scan(_ bytes: [UInt8]) -> JSONValue? { bytes.withUnsafeBufferPointer { JSONScanner.parse($0) } }
        #expect(scan(Array(#""a\u0041\n\ud83d\ude00é""#.utf8)) == .string("aA\n😀é"))
        #expect(scan([0x22, 0xC3, 0x28, 0x22]) == nil)
        #expect(scan([0x22, 0x01, 0x22]) == nil)
        #expect(scan(Array(#""\x""#.utf8)) == nil)
        #expect(scan(Array(#""\udc00""#.utf8)) == nil)
        #expect(scan(Array("-0.5e-3".utf8)) == .number(integer: nil, double: -0.0005))
        #expect(scan(Array("9223372036854775808".utf8)) == .number(integer: nil, double: 9_223_372_036_854_775_808))
        #expect(
            scan(Array(String(repeating: "[", count: 40).utf8) + Array(String(repeating: "]", count: 40).utf8)) == nil)
    }

    @Test("An object with many members still finds a repeated key")
    func manyMembers() {
        let members = (0..<100).map { #""k\#($0)":\#($0)"# }
        let unique = "{" + members.joined(separator: ",") + "}"
        let repeated = "{" + (members + [#""k7":0"#]).joined(separator: ",") + "}"
        #expect(Array(unique.utf8).withUnsafeBufferPointer { JSONScanner.parse($0) } != nil)
        #expect(Array(repeated.utf8).withUnsafeBufferPointer { JSONScanner.parse($0) } == nil)
    }
}

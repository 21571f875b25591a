import Foundation
import Testing

@testable import Gateway
@testable import OpenAIAPI

@Suite("JSON writer")
struct JSONWriterTests {
    static let awkward = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} é 日本 😀"

    /// `value` written by `JSONWriter`, as text.
    static func text(_ value: some JSONWritable) -> String {
        String(buffer: value.jsonBuffer())
    }

    @Test("A completion with every kind of field reads back equal through JSONDecoder")
    func completionRoundTrip() throws {
        var logprobs = CompletionLogprobs()
        logprobs.tokens = [Self.awkward, "b"]
        logprobs.tokenLogprobs = [-0.25, -1.5]
        logprobs.topLogprobs = [[Self.awkward: -0.25, "x": -3], [:]]
        logprobs.textOffset = [0, 7]
        let chat = ChatLogprobs(content: [
            ChatTokenLogprob(
                token: "a", logprob: -0.125, bytes: [97],
                topLogprobs: [.init(token: "é", logprob: -2.75, bytes: [0xC3, 0xA9])])
        ])
        let responses = [
            CompletionResponse(
                id: "cmpl-1", object: "text_completion", created: 1_700_000_000, model: Self.awkward,
                choices: [Choice(text: Self.awkward, completionLogprobs: logprobs, finishReason: "length")],
                usage: Usage(prompt: 4, completion: 2)),
            CompletionResponse(
                id: "chat-1", object: "chat.completion", created: 1, model: "m",
                choices: [
                    Choice(message: ResponseMessage(role: "assistant", content: "hi"), chatLogprobs: chat),
                    Choice(delta: ResponseMessage()),
                ], usage: nil, systemFingerprint: "fp"),
            CompletionResponse(id: "c", object: "chat.completion.chunk", created: 2, model: "m", choices: []),
        ]
        for response in responses {
            let text = Self.text(response)
            #expect(try JSONDecoder().decode(CompletionResponse.self, from: Data(text.utf8)) == response, "\(text)")
            // Valid JSON by Foundation's own reader too, not only by the decoder.
            #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
        }
    }

    @Test("Unset logprobs and finish_reason are written as null; unset usage is left out")
    func nullFields() {
        let text = Self.text(
            CompletionResponse(id: "c", object: "text_completion", created: 3, model: "m", choices: [Choice(text: "")]))
        #expect(
            text
                == #"{"id":"c","object":"text_completion","created":3,"model":"m","choices":[{"index":0,"text":"","logprobs":null,"finish_reason":null}]}"#
        )
    }

    @Test("Strings escape quote, backslash and control characters and keep the rest as UTF-8")
    func escaping() {
        var writer = JSONWriter()
        writer.string("a\"b\\c/d\n\u{1}\u{1f}é")
        #expect(String(buffer: writer.buffer) == #""a\"b\\c/d\n\u0001\u001fé""#)
    }

    @Test("Numbers: no trailing .0, shortest text, and no infinities")
    func numbers() {
        var writer = JSONWriter()
        writer.beginArray()
        for value: Float in [1, -0.5, 0.1, 1e-7, -.infinity, .nan] { writer.float(value) }
        writer.int(-12)
        writer.endArray()
        #expect(String(buffer: writer.buffer) == "[1,-0.5,0.1,1e-07,-9999,null,-12]")
    }

    @Test("An error body has all four fields, null where unset")
    func errorBody() throws {
        let error = GatewayError(.invalidRequest, "'max_tokens' must be \"positive\"", param: "max_tokens")
        let text = Self.text(ErrorBody(error))
        #expect(
            text
                == #"{"error":{"message":"'max_tokens' must be \"positive\"","type":"invalid_request_error","param":"max_tokens","code":"invalid_request"}}"#
        )
        let bare = Self.text(ErrorBody(GatewayError(.internalError, "x")))
        #expect(try JSONDecoder().decode(ErrorBody.self, from: Data(bare.utf8)).error.param == nil)
        #expect(bare.contains(#""param":null"#))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

extension GatewayResponder {
    /// The encoder of every JSON body and event, made once (encoding is safe from any thread; a stream encodes one
    /// event per token, so a new encoder each time would be work on the hot path).
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// `value` as a JSON response with `status`.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The OpenAI-shaped answer to `error`, with `Retry-After` when the error says when to retry.
    static func errorResponse(_ error: GatewayError) -> Response {
        let data = (try? encoder.encode(ErrorBody(error))) ?? Data("{\"error\":{}}".utf8)
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: error.headers)
        if let retry = error.retryAfter {
            headers[.retryAfter] = "\(max(1, Int(retry.inSeconds.rounded(.up))))"
        }
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// One Server-Sent Event carrying `value` as JSON.
    static func event(_ value: some Encodable) -> ByteBuffer {
        var buffer = ByteBuffer(string: "data: ")
        buffer.writeBytes((try? encoder.encode(value)) ?? Data("{}".utf8))
        buffer.writeString("\n\n")
        return buffer
    }

    /// The stream's last event.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// The answer to `error` with `Connection: close`, closing the connection once it is written, so that nothing
    /// more of the request (an oversized body) is read.
    static func errorResponseClosing(_ error: GatewayError, channel: any Channel) -> Response {
        var response = errorResponse(error)
        let data = (try? encoder.encode(ErrorBody(error))) ?? Data()
        response.headers[.connection] = "close"
        response.headers[.contentLength] = "\(data.count)"
        response.body = ResponseBody(contentLength: data.count) { writer in
            try await writer.write(ByteBuffer(bytes: data))
            try await writer.finish(nil)
            // Half-close: the client gets the whole answer and then end-of-stream, stops sending, and closes.
            channel.close(mode: .output, promise: nil)
        }
        return response
    }
}

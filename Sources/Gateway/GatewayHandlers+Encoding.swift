import Basics
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenAIAPI

extension GatewayHandlers {
    /// The encoder of the JSON bodies that are not written by `JSONWriter` (model lists, tokenize answers, quota
    /// reports), made once: encoding is safe from any thread.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    /// `value` as a JSON response with `status`, encoded by `JSONEncoder` (the answers off the hot path).
    static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `value` as a JSON response with `status`, written without `JSONEncoder` (the completion answers).
    static func json(_ value: some JSONWritable, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: value.jsonBuffer()))
    }

    /// The OpenAI-shaped answer to `error`, with `Retry-After` when the error says when to retry.
    static func errorResponse(_ error: GatewayError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: error.headers)
        if let retry = error.retryAfter {
            headers[.retryAfter] = "\(max(1, Int(retry.inSeconds.rounded(.up))))"
        }
        return Response(
            status: error.status, headers: headers, body: ResponseBody(byteBuffer: ErrorBody(error).jsonBuffer()))
    }

    /// The answer to `error` with `Connection: close`, closing the connection once it is written, so that nothing
    /// more of the request (an oversized body) is read.
    static func errorResponseClosing(_ error: GatewayError, channel: any Channel) -> Response {
        var response = errorResponse(error)
        let body = ErrorBody(error).jsonBuffer()
        response.headers[.connection] = "close"
        response.headers[.contentLength] = "\(body.readableBytes)"
        response.body = ResponseBody(contentLength: body.readableBytes) { writer in
            try await writer.write(body)
            try await writer.finish(nil)
            // Half-close: the client gets the whole answer and then end-of-stream, stops sending, and closes.
            channel.close(mode: .output, promise: nil)
        }
        return response
    }
}

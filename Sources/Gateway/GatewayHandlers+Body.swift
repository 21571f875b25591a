import BatchgateConfig
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTP2

extension GatewayHandlers {
    /// The body, within the listener's bounds: refused with 413 past `listener.max_body_bytes` (by its declared
    /// length before any of it is read), with 408 when `BodyDeadlineHandler` cut it off (not all arrived
    /// `listener.body_timeout` after the request head, or slower than `listener.min_body_bytes_per_second` once the
    /// grace period is over); a malformed body is a 400, a client that leaves mid-body a 499 (logged; nobody reads
    /// the answer). The timing is the channel handler's, so it holds for HTTP/1.1 and HTTP/2 alike and costs no task.
    func readBody(_ request: Request) async throws(GatewayError) -> ByteBuffer {
        let limit = state.listener.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw Self.tooLarge(limit)
        }
        do {
            return try await BodyBounds(limit: limit).read(request.body)
        } catch let error as GatewayError {
            throw error
        } catch let deadline as BodyDeadlineError {
            throw GatewayError(.bodyTimeout, deadline.message)
        } catch {
            throw Self.bodyReadError(error)
        }
    }

    static func tooLarge(_ limit: Int) -> GatewayError {
        GatewayError(.bodyTooLarge, "the request body is larger than \(limit) bytes")
    }

    /// The answer to a body that failed to arrive: malformed (400: the parser refused it, or HTTP/2 DATA disagree
    /// with `content-length`), or the client left (499: the connection ended inside the body, or broke — any other
    /// error of the body stream is the transport's).
    static func bodyReadError(_ error: any Error) -> GatewayError {
        let gone = GatewayError(.clientGone, "the client went away before sending the whole request body")
        if let parse = error as? HTTPParserError {
            if parse == .invalidEOFState || parse == .closedConnection { return gone }
            return GatewayError(
                .invalidHTTP, "the request body is malformed: " + HTTPErrorAnswerHandler.reason(parse))
        }
        // A malformed HTTP/2 request (DATA that disagree with `content-length`, say) is a stream error (RFC 9113,
        // 8.1.1): NIOHTTP2 resets the stream with PROTOCOL_ERROR, and the stream's reader sees it closed so. Nobody
        // reads this 400; it is logged and counted.
        if error is NIOHTTP2Errors.ContentLengthViolated {
            return GatewayError(.invalidHTTP, "the request body's length differs from its content-length")
        }
        if let closed = error as? NIOHTTP2Errors.StreamClosed, closed.errorCode == .protocolError {
            return GatewayError(.invalidHTTP, "the HTTP/2 stream was reset as malformed (\(closed.errorCode))")
        }
        return gone
    }
}

/// The size bound on one request body, and the read that keeps to it.
struct BodyBounds: Sendable {
    let limit: Int

    /// Reads `body` whole; past `limit` bytes it throws `body_too_large` without reading the rest.
    func read<Body: AsyncSequence & Sendable>(_ body: Body) async throws -> ByteBuffer
    where Body.Element == ByteBuffer {
        var collected = ByteBuffer()
        for try await var part in body {
            guard collected.readableBytes + part.readableBytes <= limit else {
                throw GatewayHandlers.tooLarge(limit)
            }
            collected.writeBuffer(&part)
        }
        return collected
    }
}

import BatchgateConfig
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTP2
import Synchronization

extension GatewayResponder {
    /// The body, within the listener's bounds: refused with 413 past `listener.max_body_bytes` (by its declared
    /// length before any of it is read), with 408 when it has not all arrived `listener.body_timeout` after the
    /// request head (`started`) or arrives slower than `listener.min_body_bytes_per_second` once the grace period
    /// is over; a malformed body is a 400, a client that leaves mid-body a 499 (logged; nobody reads the answer).
    /// The read races a deadline here, so the bounds hold for HTTP/1.1 and HTTP/2 alike.
    func readBody(_ request: Request, started: ContinuousClock.Instant) async throws(GatewayError) -> ByteBuffer {
        let listener = state.listener
        let limit = listener.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw Self.tooLarge(limit)
        }
        let bounds = BodyBounds(
            limit: limit, started: started, deadline: started + listener.bodyTimeout,
            minBytesPerSecond: listener.minBodyBytesPerSecond,
            grace: BatchgateConfiguration.Listener.bodyRateGrace)
        do {
            return try await bounds.read(request.body)
        } catch let error as GatewayError {
            throw error
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

/// The bounds on one request body, and the read that keeps to them.
struct BodyBounds: Sendable {
    let limit: Int
    let started: ContinuousClock.Instant
    let deadline: ContinuousClock.Instant
    /// 0 checks no rate.
    let minBytesPerSecond: Int
    let grace: Duration

    /// What the body read has received so far, for the watch.
    final class Progress: Sendable {
        let bytes = Atomic(0)
    }

    /// Reads `body` whole, racing it against the deadline and the rate watch; the read is cancelled (which ends the
    /// connection's inbound stream, so the connection closes after the answer) when the watch wins.
    func read<Body: AsyncSequence & Sendable>(_ body: Body) async throws -> ByteBuffer
    where Body.Element == ByteBuffer {
        let progress = Progress()
        return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var collected = ByteBuffer()
                for try await var part in body {
                    guard collected.readableBytes + part.readableBytes <= limit else {
                        throw GatewayResponder.tooLarge(limit)
                    }
                    progress.bytes.add(part.readableBytes, ordering: .relaxed)
                    collected.writeBuffer(&part)
                }
                return collected
            }
            group.addTask {
                try await watch(progress)
                return nil
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let body = result { return body }
            }
            return ByteBuffer()
        }
    }

    /// Returns only when cancelled; throws the 408 when the deadline passes or the rate falls below the minimum.
    func watch(_ progress: Progress) async throws {
        let clock = ContinuousClock()
        while true {
            let now = clock.now
            if now >= deadline {
                throw GatewayError(
                    .bodyTimeout, "the request body did not arrive within \(Self.seconds(deadline - started))")
            }
            let elapsed = now - started
            if minBytesPerSecond > 0, elapsed >= grace {
                let bytes = progress.bytes.load(ordering: .relaxed)
                if Double(bytes) < Double(minBytesPerSecond) * elapsed.inSeconds {
                    throw GatewayError(
                        .bodyTimeout,
                        "the request body arrived slower than \(minBytesPerSecond) bytes per second "
                            + "(\(bytes) bytes in \(Self.seconds(elapsed)))")
                }
            }
            // Checked every quarter second at most; a cancelled sleep ends the watch.
            let next = min(deadline, now + .milliseconds(250))
            do {
                try await Task.sleep(until: next, clock: clock)
            } catch {
                return
            }
        }
    }

    static func seconds(_ duration: Duration) -> String {
        let seconds = duration.inSeconds
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}

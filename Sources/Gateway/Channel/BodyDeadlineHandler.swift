import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Why a request body was cut off: it did not arrive in time, or arrived too slowly. The body's reader sees it thrown
/// and answers 408 `body_timeout`.
struct BodyDeadlineError: Error, Sendable, Equatable {
    /// What happened, in words a client can act on.
    let message: String
}

/// Bounds the time each request's body takes on its connection (or HTTP/2 stream): from the request head, the whole
/// body within `timeout`, and, once `grace` has passed, at least `minBytesPerSecond` on average (0 checks no rate).
/// A body that breaks a bound gets `BodyDeadlineError` fired down the pipeline, which the request's body stream
/// throws to its reader; the connection then closes after the answer.
///
/// A timer on the event loop, checked every quarter second while a body is under way: no task per request, and no
/// timer for a request whose body arrived with its head.
final class BodyDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private let minBytesPerSecond: Int
    private let grace: TimeAmount
    private var started: NIODeadline?
    private var bytes = 0
    private var timer: RepeatedTask?

    init(timeout: TimeAmount, minBytesPerSecond: Int, grace: TimeAmount) {
        self.timeout = timeout
        self.minBytesPerSecond = minBytesPerSecond
        self.grace = grace
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stop()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            started = context.eventLoop.now
            bytes = 0
        case .body(let part):
            bytes += part.readableBytes
        case .end:
            stop()
        }
        context.fireChannelRead(data)
    }

    /// The timer starts only when a read ends with a body still under way: a request that arrives whole (most of
    /// them) costs no timer at all.
    func channelReadComplete(context: ChannelHandlerContext) {
        if started != nil && timer == nil {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleRepeatedTask(
                initialDelay: .milliseconds(250), delay: .milliseconds(250)
            ) { _ in
                let (handler, context) = loopBound.value
                handler.check(context: context)
            }
        }
        context.fireChannelReadComplete()
    }

    private func stop() {
        timer?.cancel()
        timer = nil
        started = nil
    }

    /// Fires the error when the body under way breaks a bound.
    private func check(context: ChannelHandlerContext) {
        guard let started else { return }
        let elapsed = context.eventLoop.now - started
        var message: String?
        if elapsed >= timeout {
            message = "the request body did not arrive within \(Self.seconds(timeout))"
        } else if minBytesPerSecond > 0, elapsed >= grace,
            Double(bytes) < Double(minBytesPerSecond) * Double(elapsed.nanoseconds) / 1e9
        {
            message =
                "the request body arrived slower than \(minBytesPerSecond) bytes per second (\(bytes) bytes in "
                + "\(Self.seconds(elapsed)))"
        }
        guard let message else { return }
        stop()
        context.fireErrorCaught(BodyDeadlineError(message: message))
    }

    static func seconds(_ amount: TimeAmount) -> String {
        let seconds = Double(amount.nanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }
}

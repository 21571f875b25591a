import Basics
import HTTPTypes
import Scheduler
import Synchronization
import Tracing

/// The spans of one traced request, all children of its root span (which is itself the child of the caller's span
/// when the request came with a `traceparent`): `admission`, `queue`, one `prefill` per prompt chunk, `decode`, and
/// `stream` for a streamed answer. Spans are made when what they time is over, with the times the gateway and the
/// scheduler measured, so the hot path does no tracing work beyond handing those times over.
///
/// Also the request's `GenerationStepObserver`: the scheduler reports each worker step the request took part in.
/// The root span ends once the response body is written (`end`); a trace dropped before that (its client left
/// before the head went out) ends it when it is freed.
final class RequestTrace: GenerationStepObserver, Sendable {
    private let tracer: any Tracer
    private let root: any Span
    /// The wall clock at `origin`, for turning the monotonic instants the gateway measures into span times.
    private let originNanoseconds: UInt64
    private let origin: ContinuousClock.Instant
    private let state = Mutex(State())

    private struct State {
        var submitted: ContinuousClock.Instant?
        var queued = false
        var decode: DecodeTally?
        var ended = false
    }

    /// The decode steps of the request, summed into one span.
    private struct DecodeTally {
        var started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant
        var steps = 0
        var workerForward = Duration.zero
        var largestBatch = 0
    }

    /// Starts the root span `name` under `parent`.
    init(tracer: any Tracer, name: String, parent: InstrumentationContext) {
        self.tracer = tracer
        origin = .now
        originNanoseconds = DefaultTracerClock.now.nanosecondsSinceEpoch
        root = tracer.startSpan(name, context: parent, ofKind: .server, at: WallInstant(originNanoseconds))
    }

    deinit { end() }

    /// The context children of the root span start in.
    var context: InstrumentationContext { root.context }

    /// Adds attributes to the root span.
    func annotate(_ change: (inout SpanAttributes) -> Void) {
        root.updateAttributes(change)
    }

    /// The trace headers of the response: the `traceparent` naming the root span, so a caller can find the trace.
    func injectHeaders(into fields: inout HTTPFields) {
        tracer.inject(root.context, into: &fields, using: HTTPFieldsInjector())
    }

    /// The trace's id (32 hex digits), as the response's `traceparent` names it; nil when the tracer gives none.
    var traceID: String? {
        var fields = HTTPFields()
        injectHeaders(into: &fields)
        return fields[RequestTracing.traceparent].flatMap { TraceParent($0)?.traceID }
    }

    /// Records a finished child span `name` from `start` to `end`.
    func span(
        _ name: String, from start: ContinuousClock.Instant, to end: ContinuousClock.Instant,
        error: (any Error)? = nil, attributes: (inout SpanAttributes) -> Void = { _ in }
    ) {
        let span = tracer.startSpan(name, context: root.context, ofKind: .internal, at: wall(start))
        span.updateAttributes(attributes)
        if let error {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end(at: wall(max(start, end)))
    }

    /// The request entered the scheduler's queue at `instant` (the queue span starts here).
    func submitted(at instant: ContinuousClock.Instant) {
        state.withLock { $0.submitted = instant }
    }

    /// When the request was handed to the scheduler, once it was.
    var submittedAt: ContinuousClock.Instant? { state.withLock { $0.submitted } }

    /// A worker step the request took part in: the first ends its `queue` span; a prompt chunk becomes a `prefill`
    /// span; decodes add up into the `decode` span.
    func stepFinished(_ report: GenerationStepReport) {
        let queuedSince: ContinuousClock.Instant? = state.withLock { state in
            if report.decoded {
                if state.decode == nil { state.decode = DecodeTally(started: report.started, ended: report.ended) }
                state.decode!.ended = report.ended
                state.decode!.steps += 1
                state.decode!.workerForward += report.workerForward
                state.decode!.largestBatch = max(state.decode!.largestBatch, report.batchSequences)
            }
            guard !state.queued, let submitted = state.submitted else { return nil }
            state.queued = true
            return submitted
        }
        if let queuedSince {
            span("queue", from: queuedSince, to: report.started)
        }
        if let chunk = report.chunk {
            span("prefill", from: report.started, to: report.ended) { attributes in
                attributes["batchgate.prefill.first_position"] = chunk.firstPosition
                attributes["batchgate.prefill.tokens"] = chunk.tokens
                attributes["batchgate.prefill.last_chunk"] = chunk.isLast
                Self.stepAttributes(report, into: &attributes)
            }
        }
    }

    /// The attributes every step span carries.
    private static func stepAttributes(_ report: GenerationStepReport, into attributes: inout SpanAttributes) {
        attributes["batchgate.step.id"] = Int64(clamping: report.stepID)
        attributes["batchgate.worker"] = report.worker
        attributes["batchgate.step.sequences"] = report.batchSequences
        attributes["batchgate.step.prefill_tokens"] = report.batchPrefillTokens
        attributes["batchgate.worker.forward_ms"] = report.workerForward.inMilliseconds
    }

    /// Records the `decode` span (the steps that decoded the request's tokens, first to last), if any step did.
    func finishDecode(tokens: Int) {
        guard
            let tally = state.withLock({ state -> DecodeTally? in
                defer { state.decode = nil }
                return state.decode
            })
        else { return }
        span("decode", from: tally.started, to: tally.ended) { attributes in
            attributes["batchgate.decode.steps"] = tally.steps
            attributes["batchgate.decode.tokens"] = tokens
            attributes["batchgate.decode.largest_batch"] = tally.largestBatch
            attributes["batchgate.worker.forward_ms"] = tally.workerForward.inMilliseconds
        }
    }

    /// Ends the root span with the response status `status` (an error status marks it failed); once only.
    func end(status: Int? = nil) {
        let first = state.withLock { state in
            defer { state.ended = true }
            return !state.ended
        }
        guard first else { return }
        if let status {
            root.attributes["http.response.status_code"] = status
            if status >= 500 { root.setStatus(SpanStatus(code: .error)) }
        }
        root.end(at: wall(.now))
    }

    /// The wall-clock time of `instant`.
    private func wall(_ instant: ContinuousClock.Instant) -> WallInstant {
        let offset = (instant - origin).inNanoseconds
        return WallInstant(UInt64(clamping: max(0, Int64(clamping: originNanoseconds) + offset)))
    }
}

/// A span time: nanoseconds since the Unix epoch.
struct WallInstant: TracerInstant {
    let nanosecondsSinceEpoch: UInt64

    init(_ nanoseconds: UInt64) { nanosecondsSinceEpoch = nanoseconds }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch }
}

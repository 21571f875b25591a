import AsyncHTTPClient
import Basics
import BatchgateConfig
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenAIAPI

extension GatewayHandlers {
    /// The largest whole (not streamed) answer relayed from a peer.
    static let maxRelayedBody = 64 << 20

    /// Routing between nodes, the one hook of the API handlers: the answer of a peer when this node should not
    /// serve the request itself, or nil to serve it here. A request goes to a peer when routing is on, it was not
    /// forwarded already (one hop at most), its key may use the model, this node does not serve the model or (a
    /// `completion`) would refuse it for want of room now (queue full, no live worker), and a fresh peer serves it.
    /// Nothing is charged here: the peer admits a completion against the key's quota (the leases make that
    /// cluster-wide) and records its usage.
    ///
    /// Peers are tried best first while none could be reached; when none could, a model served here falls through
    /// to this node (which refuses it as it would alone), and another is refused with 503 `model_unavailable`.
    func forwardIfNeeded(
        _ request: Request, body: ByteBuffer, model name: String?, key: BatchgateConfiguration.APIKey,
        context: Context, completion: Bool = true
    ) async throws -> Response? {
        guard let routing = state.cluster?.routing, context.forwardedFrom == nil, let name, !name.isEmpty,
            key.models.allows(name), let record = context.record
        else { return nil }
        let local = state.model(name)
        if let local, !completion || !local.scheduler.refusesForCapacity { return nil }
        let peers = routing.directory.candidates(for: name)
        guard !peers.isEmpty else { return nil }
        if completion { record.update { $0.model = name } }
        let deadline = record.started + state.listener.requestTimeout
        var tried: [String] = []
        for peer in peers {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { break }
            var headers = routing.credential.sign(
                to: peer.node, keyName: key.name, requestID: context.requestID, method: request.method,
                path: request.uri.path)
            headers[.contentType] = request.headers[.contentType] ?? "application/json"
            let response: HTTPClientResponse
            do {
                response = try await routing.proxy.send(
                    to: peer.address, method: request.method, path: request.uri.path, headers: headers, body: body,
                    deadline: .now() + .nanoseconds(remaining.inNanoseconds))
            } catch {
                routing.metrics.forwarded(to: peer.node, .unreachable)
                routing.directory.unreachable(peer.node)
                state.logger.warning(
                    "peer unreachable; trying the next", metadata: ["peer": "\(peer.node)", "error": "\(error)"])
                tried.append(peer.node)
                continue
            }
            routing.directory.sent(to: peer.node)
            return try await relay(response, from: peer.node, routing: routing, record: record)
        }
        if local != nil { return nil }
        throw GatewayError(
            .modelUnavailable,
            "no node that serves the model '\(name)' could be reached (tried \(tried.joined(separator: ", ")))",
            retryAfter: .seconds(5))
    }

    /// The peer's answer as this node's: a whole one at once, a stream event by event as each completes. A stream
    /// that breaks off (the peer died) ends with the error event and `[DONE]` a local worker failure gives, and this
    /// node records it (the peer never will); an answer relayed whole is the peer's to record.
    func relay(
        _ response: HTTPClientResponse, from peer: String, routing: PeerRouting, record: RequestRecord
    ) async throws -> Response {
        var headers = HTTPFields()
        for header in response.headers where Self.relayed(header.name) {
            if let name = HTTPField.Name(header.name) { headers.append(HTTPField(name: name, value: header.value)) }
        }
        let status = HTTPResponse.Status(code: Int(response.status.code))
        let failure = GatewayError(
            .internalError, "the node '\(peer)' serving this request stopped answering before the end",
            label: "peer_failed")
        guard response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true else {
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maxRelayedBody)
            } catch {
                routing.metrics.forwarded(to: peer, .failed)
                throw failure
            }
            routing.metrics.forwarded(to: peer, .answered)
            record.update { $0.answeredBy = peer }
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
        }
        record.handOver()
        let body = ResponseBody { writer in
            var splitter = SSEEventSplitter()
            var outcome = ForwardOutcome.answered
            var iterator = response.body.makeAsyncIterator()
            relaying: while true {
                let bytes: ByteBuffer?
                do {
                    bytes = try await iterator.next()
                } catch {
                    outcome = .failed
                    break
                }
                guard let bytes else {
                    if !splitter.sawDone { outcome = .failed }
                    break
                }
                for event in splitter.feed(bytes) {
                    do {
                        try await writer.write(event)
                    } catch {
                        outcome = .clientGone
                        break relaying
                    }
                }
            }
            routing.metrics.forwarded(to: peer, outcome)
            record.write { log in
                switch outcome {
                case .failed:
                    log.status = Int(failure.status.code)
                    log.error = failure.codeLabel
                case .clientGone:
                    log.status = 499
                    log.error = "client_gone"
                    log.answeredBy = peer
                case .answered, .unreachable:
                    log.status = status.code
                    log.answeredBy = peer
                }
            }
            if outcome == .failed {
                state.logger.warning("peer failed mid-stream", metadata: ["peer": "\(peer)"])
                try await writer.write(ServerSentEvent.data(ErrorBody(failure)))
                try await writer.write(ServerSentEvent.done)
            }
            if outcome != .clientGone { try await writer.finish(nil) }
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Whether a header of a peer's answer is passed on: its type, caching, and the quota and retry headers.
    static func relayed(_ name: String) -> Bool {
        let name = name.lowercased()
        return ["content-type", "cache-control", "retry-after", "x-should-retry"].contains(name)
            || name.hasPrefix("x-ratelimit-")
    }
}

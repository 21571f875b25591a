import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A small OTLP/HTTP trace receiver on 127.0.0.1 for the tracing tests: it takes `POST /v1/traces` with a JSON body
/// (`tracing.protocol: http/json`), answers `{}`, and keeps every span it decoded.
final class OTLPReceiver: Sendable {
    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let store = Store()

    /// Starts listening on a free loopback port.
    init() throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let store = store
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ExportHandler(store: store))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
    }

    /// The spans received so far.
    var spans: [ReceivedSpan] { store.spans.withLock { $0 } }
    /// Export requests it could not read.
    var errors: [String] { store.problems.withLock { $0 } }

    /// Stops listening.
    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// What the receiver has taken in.
    private final class Store: Sendable {
        let spans = Mutex<[ReceivedSpan]>([])
        let problems = Mutex<[String]>([])

        func take(path: String, body: [UInt8]) -> HTTPResponseStatus {
            guard path == "/v1/traces" else {
                problems.withLock { $0.append("export to \(path)") }
                return .notFound
            }
            do {
                let decoded = try ReceivedSpan.decode(exportRequest: Data(body))
                spans.withLock { $0 += decoded }
                return .ok
            } catch {
                problems.withLock { $0.append("\(error): \(String(decoding: body.prefix(300), as: UTF8.self))") }
                return .badRequest
            }
        }
    }

    /// Collects one request's body and answers it.
    private final class ExportHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let store: Store
        var path = ""
        var body: [UInt8] = []

        init(store: Store) { self.store = store }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                path = head.uri
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                let status = store.take(path: path, body: body)
                let answer = ByteBuffer(string: "{}")
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: "\(answer.readableBytes)")
                let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

/// One span as the receiver decoded it from OTLP/JSON, ids as lower-case hex.
struct ReceivedSpan: Sendable {
    var traceID: String
    var spanID: String
    /// Empty for a span without a parent.
    var parentSpanID: String
    var name: String
    /// OTLP's span kind number (2: server, 1: internal).
    var kind: Int
    var start: UInt64
    var end: UInt64
    /// Attribute values as text.
    var attributes: [String: String]

    struct DecodingError: Error, CustomStringConvertible {
        let description: String
    }

    /// The spans of an `ExportTraceServiceRequest` in OTLP/JSON.
    static func decode(exportRequest data: Data) throws -> [ReceivedSpan] {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw DecodingError(description: "not a JSON object")
        }
        var spans: [ReceivedSpan] = []
        for resource in root["resourceSpans"] as? [[String: Any]] ?? [] {
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    spans.append(try ReceivedSpan(json: span))
                }
            }
        }
        return spans
    }

    init(json: [String: Any]) throws {
        guard let trace = json["traceId"] as? String, let span = json["spanId"] as? String,
            let name = json["name"] as? String
        else { throw DecodingError(description: "a span without traceId, spanId or name: \(json)") }
        traceID = try Self.hex(trace, bytes: 16)
        spanID = try Self.hex(span, bytes: 8)
        parentSpanID = try (json["parentSpanId"] as? String).map { $0.isEmpty ? "" : try Self.hex($0, bytes: 8) } ?? ""
        self.name = name
        kind = json["kind"] as? Int ?? 0
        start = Self.number(json["startTimeUnixNano"])
        end = Self.number(json["endTimeUnixNano"])
        var attributes: [String: String] = [:]
        for entry in json["attributes"] as? [[String: Any]] ?? [] {
            guard let key = entry["key"] as? String, let value = entry["value"] as? [String: Any] else { continue }
            if let text = value["stringValue"] as? String {
                attributes[key] = text
            } else if let number = value["intValue"] {
                attributes[key] = "\(Self.number(number))"
            } else if let double = value["doubleValue"] {
                attributes[key] = "\(double)"
            } else if let bool = value["boolValue"] as? Bool {
                attributes[key] = "\(bool)"
            } else if let array = value["arrayValue"] as? [String: Any] {
                let values = (array["values"] as? [[String: Any]] ?? []).compactMap { $0["stringValue"] as? String }
                attributes[key] = values.joined(separator: ",")
            }
        }
        self.attributes = attributes
    }

    /// An id in hex: OTLP/JSON says hex, protobuf's JSON mapping says base64; the length tells which.
    static func hex(_ text: String, bytes: Int) throws -> String {
        if text.count == bytes * 2, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let data = Data(base64Encoded: text), data.count == bytes else {
            throw DecodingError(description: "an id of \(bytes) bytes that is neither hex nor base64: \(text)")
        }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    /// A 64-bit number, which OTLP/JSON may write as a string.
    static func number(_ value: Any?) -> UInt64 {
        if let text = value as? String { return UInt64(text) ?? 0 }
        if let number = value as? NSNumber { return number.uint64Value }
        return 0
    }
}

import BatchgateConfig
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OpenAIAPI
import Prometheus
import Scheduler

/// Everything a request needs: the models, the keys, the quota seam, metrics and limits.
public struct GatewayState: Sendable {
    /// The served models, in configuration order.
    public var models: [ServedModel]
    /// The API keys.
    public var keys: APIKeyStore
    /// Per-key, per-model quotas.
    public var quotas: any QuotaPolicy
    /// Request metrics.
    public var metrics: GatewayMetrics
    /// The registry `/metrics` renders; nil when metrics are off on this listener.
    public var registry: PrometheusCollectorRegistry?
    /// Listener limits (body size, request timeout).
    public var listener: BatchgateConfiguration.Listener
    /// Metrics endpoint settings.
    public var metricsSettings: BatchgateConfiguration.Metrics
    /// The log of request lines.
    public var logger: Logger

    /// Creates the state.
    public init(
        models: [ServedModel], keys: APIKeyStore, quotas: any QuotaPolicy = UnlimitedQuotas(),
        metrics: GatewayMetrics, registry: PrometheusCollectorRegistry?,
        listener: BatchgateConfiguration.Listener = .init(), metricsSettings: BatchgateConfiguration.Metrics = .init(),
        logger: Logger = Logger(label: "batchgate.gateway")
    ) {
        self.models = models
        self.keys = keys
        self.quotas = quotas
        self.metrics = metrics
        self.registry = registry
        self.listener = listener
        self.metricsSettings = metricsSettings
        self.logger = logger
    }

    /// The model named `name`.
    func model(_ name: String) -> ServedModel? { models.first { $0.name == name } }
}

/// The gateway's HTTP responder: routes, authentication, and errors as OpenAI shapes them.
public struct GatewayResponder: HTTPResponder {
    /// The context type.
    public typealias Context = GatewayRequestContext
    let state: GatewayState

    /// A responder over `state`.
    public init(state: GatewayState) {
        self.state = state
    }

    /// The routes, each with the methods it takes.
    static let routes: [String: HTTPRequest.Method] = [
        "/v1/chat/completions": .post, "/v1/completions": .post, "/v1/models": .get, "/v1/quotas": .get,
        "/tokenize": .post,
        "/detokenize": .post, "/health/live": .get, "/health/ready": .get,
    ]

    /// Answers one request; never throws, every failure becomes an OpenAI-shaped error response.
    public func respond(to request: Request, context: GatewayRequestContext) async throws -> Response {
        let requestID = Self.newID()
        let started = ContinuousClock.now
        var log = RequestLog(id: requestID, path: request.uri.path)
        var response: Response
        do {
            response = try await route(request, context: context, requestID: requestID, log: &log, started: started)
        } catch let error as GatewayError {
            // Refuse the rest of an oversized, stalled or malformed body rather than read it to the end (HTTP/1.1;
            // under HTTP/2 the stream is answered and its remaining DATA frames are discarded as they arrive).
            let closes = [.bodyTooLarge, .bodyTimeout, .invalidHTTP].contains(error.code)
            response =
                closes && context.channelWasActive && context.channel.parent == nil
                ? Self.errorResponseClosing(error, channel: context.channel) : Self.errorResponse(error)
            log.error = error.codeLabel
        } catch {
            state.logger.error("unexpected error: \(error)", metadata: ["request_id": "\(requestID)"])
            response = Self.errorResponse(GatewayError(.internalError, "internal error (request \(requestID))"))
        }
        response.headers[values: HTTPField.Name("x-request-id")!] = [requestID]
        if !log.written {
            log.status = Int(response.status.code)
            log.total = ContinuousClock.now - started
            finish(log)
        }
        return response
    }

    /// Writes the request's log line and counts it.
    func finish(_ log: RequestLog) {
        if let model = log.model { state.metrics.request(model: model, status: log.status) }
        state.logger.info("request", metadata: log.metadata)
    }

    func route(
        _ request: Request, context: GatewayRequestContext, requestID: String, log: inout RequestLog,
        started: ContinuousClock.Instant
    ) async throws -> Response {
        let path = request.uri.path
        if state.metricsSettings.enabled, state.registry != nil, path == state.metricsSettings.path {
            guard request.method == .get else { throw Self.wrongMethod(path, .get) }
            if state.metricsSettings.requireKey {
                _ = try state.keys.authenticate(authorization: request.headers[.authorization])
            }
            return metricsResponse()
        }
        guard let method = Self.routes[path] else {
            throw GatewayError(.routeNotFound, "no route \(request.method) \(path)")
        }
        guard request.method == method else { throw Self.wrongMethod(path, method) }
        switch path {
        case "/health/live": return try Self.json(encoding: ["status": "ok"])
        case "/health/ready": return try readiness()
        default: break
        }
        let key = try state.keys.authenticate(authorization: request.headers[.authorization])
        log.key = key.name
        switch path {
        case "/v1/models":
            let list = ModelList(
                data: state.models.filter { key.models.allows($0.name) }.map {
                    ModelList.Entry(id: $0.name, created: $0.created)
                })
            return try Self.json(encoding: list)
        case "/v1/quotas":
            let models = state.models.map(\.name).filter { key.models.allows($0) }
            return try Self.json(
                encoding: QuotaReport(key: key.name, data: state.quotas.report(key: key, models: models)))
        case "/tokenize", "/detokenize":
            let body = try await readBody(request)
            return try tokenization(path, body: body, key: key)
        default:
            let body = try await readBody(request)
            let decoded = try OpenAIRequest.decode(body.readableBytesView, chat: path == "/v1/chat/completions")
            let model = try self.model(named: decoded.model, for: key)
            log.model = model.name
            do {
                let kind: CompletionKind = path == "/v1/chat/completions" ? .chat : .text
                let plan = try GenerationPlan(
                    decoded, kind: kind, model: model, tenant: key.name, priority: key.priority)
                log.promptTokens = plan.request.promptTokens.count
                return try await complete(
                    plan, model: model, key: key, context: context, requestID: requestID, log: log, started: started,
                    loggedHere: &log.written)
            } catch var error as GatewayError {
                // Every answer to a key on a model carries its quota headers, refusals included.
                if error.headers.isEmpty { error.headers = state.quotas.headers(key: key, model: model.name) }
                throw error
            }
        }
    }

    /// The model a request names, checked against the key's allowed models.
    func model(named name: String?, for key: BatchgateConfiguration.APIKey) throws(GatewayError) -> ServedModel {
        guard let name, !name.isEmpty else {
            throw GatewayError(.invalidRequest, "'model' is required", param: "model")
        }
        guard let model = state.model(name) else {
            throw GatewayError(.modelNotFound, "the model '\(name)' does not exist", param: "model")
        }
        guard key.models.allows(name) else {
            throw GatewayError(
                .modelNotAllowed, "the API key '\(key.name)' may not use model '\(name)'", param: "model")
        }
        return model
    }

    static func wrongMethod(_ path: String, _ method: HTTPRequest.Method) -> GatewayError {
        GatewayError(.methodNotAllowed, "\(path) takes \(method) only")
    }

    /// `/health/ready`: 200 when every model has a live worker, else 503 naming the ones that do not.
    func readiness() throws -> Response {
        struct Readiness: Encodable {
            var status: String
            var modelsWithoutWorkers: [String]
            enum CodingKeys: String, CodingKey {
                case status
                case modelsWithoutWorkers = "models_without_workers"
            }
        }
        let down = state.models.filter { $0.scheduler.snapshot.liveWorkers == 0 }.map(\.name)
        var response = try Self.json(
            encoding:
                Readiness(status: down.isEmpty ? "ready" : "not_ready", modelsWithoutWorkers: down))
        if !down.isEmpty { response.status = .serviceUnavailable }
        return response
    }

    /// `/metrics` in Prometheus text format.
    func metricsResponse() -> Response {
        var bytes: [UInt8] = []
        state.registry?.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A fresh request id: 22 base-62 characters from 128 random bits (two reads of the system generator, not one
    /// per character: each read is a system call).
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(22)
        for index in 0..<22 {
            if index == 11 { bits.0 = bits.1 }
            characters.append(alphabet[Int(bits.0 % 62)])
            bits.0 /= 62
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

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
    /// The operator's page, when this listener serves it.
    public var dashboard: Dashboard?
    /// Request tracing; `nil` (the default) when `tracing.otlp_endpoint` is unset.
    public var tracing: RequestTracing?
    /// Node name, state store and usage recorder; nil runs without usage accounting.
    public var cluster: ClusterState?

    /// Creates the state.
    public init(
        models: [ServedModel], keys: APIKeyStore, quotas: any QuotaPolicy = UnlimitedQuotas(),
        metrics: GatewayMetrics, registry: PrometheusCollectorRegistry?,
        listener: BatchgateConfiguration.Listener = .init(), metricsSettings: BatchgateConfiguration.Metrics = .init(),
        logger: Logger = Logger(label: "batchgate.gateway"), dashboard: Dashboard? = nil,
        tracing: RequestTracing? = nil
    ) {
        self.models = models
        self.keys = keys
        self.quotas = quotas
        self.metrics = metrics
        self.registry = registry
        self.listener = listener
        self.metricsSettings = metricsSettings
        self.logger = logger
        self.dashboard = dashboard
        self.tracing = tracing
    }

    /// The model named `name`.
    func model(_ name: String) -> ServedModel? { models.first { $0.name == name } }
}

/// What the gateway's routes do, over its state: completions, model lists, quota reports, tokenization, health and
/// metrics. `GatewayRouter` puts them behind the middleware (request id, log, errors, authentication).
public struct GatewayHandlers: Sendable {
    /// The context type.
    public typealias Context = GatewayRequestContext
    let state: GatewayState

    /// The handlers over `state`.
    public init(state: GatewayState) {
        self.state = state
    }

    /// `POST /v1/chat/completions` and `POST /v1/completions`: validates, tokenizes and plans the request, then
    /// admits and answers it (`complete`). Every answer to a key on a model carries its quota headers, refusals too.
    func completion(_ request: Request, context: Context, kind: CompletionKind) async throws -> Response {
        let key = try context.requireKey()
        guard let record = context.record else { throw GatewayError(.internalError, "the request has no record") }
        let body = try await readBody(request)
        let decoded = try OpenAIRequest.decode(body.readableBytesView, chat: kind == .chat)
        if let answer = try await forwardIfNeeded(request, body: body, model: decoded.model, key: key, context: context)
        {
            return answer
        }
        let model = try self.model(named: decoded.model, for: key)
        record.update { $0.model = model.name }
        do {
            let plan = try GenerationPlan(decoded, kind: kind, model: model, tenant: key.name, priority: key.priority)
            record.update { $0.promptTokens = plan.request.promptTokens.count }
            return try await complete(plan, model: model, key: key, context: context, record: record)
        } catch var error as GatewayError {
            if error.headers.isEmpty { error.headers = state.quotas.headers(key: key, model: model.name) }
            throw error
        }
    }

    /// `GET /v1/models`: the models the key may use, this node's and then, with routing, those only its peers serve
    /// (`created` 0: this node does not know when a peer started serving one).
    func models(context: Context) throws -> Response {
        let key = try context.requireKey()
        let peers = (state.cluster?.routing?.directory.models() ?? []).filter { state.model($0) == nil }
        let list = ModelList(
            data: state.models.filter { key.models.allows($0.name) }.map {
                ModelList.Entry(id: $0.name, created: $0.created)
            } + peers.filter { key.models.allows($0) }.map { ModelList.Entry(id: $0, created: 0) })
        return try Self.json(encoding: list)
    }

    /// `GET /v1/quotas`: the key's quotas on the models it may use.
    func quotas(context: Context) throws -> Response {
        let key = try context.requireKey()
        let models = state.models.map(\.name).filter { key.models.allows($0) }
        return try Self.json(encoding: QuotaReport(key: key.name, data: state.quotas.report(key: key, models: models)))
    }

    /// `POST /tokenize` and `POST /detokenize`; with routing, for a model only a peer serves, the peer's answer.
    func tokenization(_ request: Request, context: Context) async throws -> Response {
        let key = try context.requireKey()
        let body = try await readBody(request)
        let named =
            state.cluster?.routing == nil
            ? nil : try? JSONDecoder().decode(ModelField.self, from: Data(body.readableBytesView))
        if let answer = try await forwardIfNeeded(
            request, body: body, model: named?.model, key: key, context: context, completion: false)
        {
            return answer
        }
        return try tokenization(request.uri.path, body: body, key: key)
    }

    /// The metrics path: Prometheus text, behind a key when the configuration asks for one.
    func metrics(_ request: Request) throws -> Response {
        if state.metricsSettings.requireKey {
            _ = try state.keys.authenticate(authorization: request.headers[.authorization])
        }
        return metricsResponse()
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
            /// `ok` or `lost` (the node keeps serving; quotas follow `cluster.on_database_loss`).
            var stateStore: String?
            /// Per model without workers, why its last worker could not start (when that is known).
            var workerErrors: [String: String]?
            enum CodingKeys: String, CodingKey {
                case status
                case modelsWithoutWorkers = "models_without_workers"
                case stateStore = "state_store"
                case workerErrors = "worker_errors"
            }
        }
        let snapshots = state.models.map { ($0.name, $0.scheduler.snapshot) }.filter { $0.1.liveWorkers == 0 }
        let down = snapshots.map(\.0)
        let failures = Dictionary(snapshots.compactMap { name, snapshot in snapshot.startFailure.map { (name, $0) } }) {
            first, _ in first
        }
        var response = try Self.json(
            encoding:
                Readiness(
                    status: down.isEmpty ? "ready" : "not_ready", modelsWithoutWorkers: down,
                    stateStore: state.cluster.map { $0.storeUp ? "ok" : "lost" },
                    workerErrors: failures.isEmpty ? nil : failures))
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
}

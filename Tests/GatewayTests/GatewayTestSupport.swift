import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InferenceCore
import Logging
import NIOCore
import Prometheus
import Scheduler
import ServiceLifecycle
import Synchronization
import Testing
import Worker
import WorkerProtocol

/// The key every test sends, and one that may use no model but `other`.
enum TestKeys {
    static let good = "bg-test-good-key"
    static let restricted = "bg-test-restricted-key"
    static let expired = "bg-test-expired-key"
    static var entries: [BatchgateConfiguration.APIKey] {
        [
            .init(name: "tester", sha256: [APIKeyDigest.sha256Hex(of: good)]),
            .init(name: "restricted", sha256: [APIKeyDigest.sha256Hex(of: restricted)], models: .only(["other"])),
            .init(
                name: "expired", sha256: [APIKeyDigest.sha256Hex(of: expired)],
                expires: Date(timeIntervalSince1970: 0)),
        ]
    }
}

/// A gateway on the tiny llama model (real vocabulary, real engine in process), reachable through
/// HummingbirdTesting; the scheduler runs for the duration of `body`.
struct TestGateway {
    let state: GatewayState
    let scheduler: ModelScheduler
    let registry: PrometheusCollectorRegistry

    /// Builds it; `maxBodyBytes` and `maxQueue` shrink limits for the tests that probe them, `limits` replaces the
    /// scheduler's limits (its `maxQueue` then wins), the worker's steps wait while `hold` is held, and with
    /// `workerFails` the worker never starts (every launch fails); `chatTemplate` is the model's chat format.
    init(
        maxBodyBytes: Int = 1 << 20, maxQueue: Int = 64, context: Int = 256,
        keys: [BatchgateConfiguration.APIKey] = TestKeys.entries, quotaClock: (@Sendable () -> Duration)? = nil,
        limits: SchedulerLimits? = nil, hold: StepHold? = nil, workerFails: Bool = false,
        chatTemplate: BatchgateConfiguration.ChatTemplate = .llama2
    ) throws {
        let path = try WorkerSupport.tinyModel(context: context)
        var options = EngineOptions()
        options.threads = 1
        options.kvCacheMiB = 4
        let engine = Engine(weights: try ModelWeights(path: path), options: options)
        let executor = Mutex(StepExecutor(engine: engine))
        let hello = executor.withLock { $0.hello(modelName: "tiny", maxBatchTokens: 256) }
        let link = InProcessWorkerLink(hello: hello) { step in
            await hold?.wait()
            return executor.withLock { $0.handle(step) }
        }
        registry = PrometheusCollectorRegistry()
        let factory = DescribedMetricsFactory(registry: registry)
        scheduler = ModelScheduler(
            model: "tiny", limits: limits ?? SchedulerLimits(maxBatchTokens: 256, maxRunning: 8, maxQueue: maxQueue),
            workers: 1,
            launcher: InProcessWorkerLauncher { _ in
                if workerFails { throw WorkerLinkError("this test's worker never starts") }
                return link
            }, tickInterval: .milliseconds(10), metricsFactory: factory)
        let model = try ServedModel(
            BatchgateConfiguration.Model(name: "tiny", path: path, chatTemplate: chatTemplate), scheduler: scheduler)
        var listener = BatchgateConfiguration.Listener()
        listener.maxBodyBytes = maxBodyBytes
        var logger = Logger(label: "gateway-test")
        logger.logLevel = .warning
        let metrics = GatewayMetrics(factory: factory)
        state = GatewayState(
            models: [model], keys: APIKeyStore(keys), quotas: QuotaLimiter(metrics: metrics, clock: quotaClock),
            metrics: metrics, registry: registry, listener: listener, logger: logger)
    }

    /// Runs `body` against the application while the scheduler runs.
    func test<Value: Sendable>(
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let app = try GatewayServer.application(state: state, tls: nil, services: [scheduler])
        return try await app.test(.router) { client in try await body(client) }
    }

    /// Runs `body` against the application listening on a real loopback port (plain HTTP/1.1, the gateway's own
    /// channel pipeline), for tests that send raw bytes.
    func testLive<Value: Sendable>(
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        var state = state
        state.listener.host = "127.0.0.1"
        state.listener.port = 0
        let app = try GatewayServer.application(state: state, tls: nil, services: [scheduler])
        return try await app.test(.live) { client in try await body(client) }
    }
}

/// Holds the in-process worker's steps while held, so that a test can keep one request running (and the ones
/// behind it waiting in the queue) for as long as it likes.
final class StepHold: Sendable {
    private let held = Mutex(true)

    /// Lets every step through from now on.
    func release() { held.withLock { $0 = false } }

    /// Returns once the hold is released.
    func wait() async {
        while held.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

extension TestClientProtocol {
    /// POSTs `json` to `path` with the test key (or `key`), returning the response.
    func post(_ path: String, json: String, key: String? = TestKeys.good) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    /// GETs `path` with the test key.
    func get(_ path: String, key: String? = TestKeys.good) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await execute(uri: path, method: .get, headers: headers)
    }
}

extension TestResponse {
    /// The body as a string.
    var text: String { String(buffer: body) }

    /// The body decoded as `type`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }
}

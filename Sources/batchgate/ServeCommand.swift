import ArgumentParser
import BatchgateConfig
import Foundation
import Gateway
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

/// `batchgate serve`: runs the gateway, from a configuration file, from quick-start flags, or as the demo.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway: OpenAI-compatible API over TLS, batching onto worker processes.",
        discussion: """
            Three ways to start it:
              batchgate serve --config batchgate.yaml
              batchgate serve --model NAME=PATH [--model …] [--workers N] [--api-key KEY] [--host H] [--port P] \\
                [--tls-cert C --tls-key K | --self-signed | --plaintext]
              batchgate serve --demo      (a small demo model and a self-signed certificate in a cache folder)
            SIGTERM or SIGINT drains in-flight requests and exits 0; SIGHUP reloads keys and the certificate.
            """
    )

    @Option(help: "The configuration file (see Docs/configuration.md).")
    var config: String?

    @Option(name: .customLong("model"), help: "Quick start: serve the GGUF file PATH as NAME (repeatable).")
    var models: [String] = []

    @Option(help: "Quick start: worker processes per model.")
    var workers: Int = 1

    @Option(name: .customLong("api-key"), help: "Quick start: the API key clients send (default: a new one, printed).")
    var apiKey: String?

    @Option(help: "Quick start: address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Quick start: port to listen on.")
    var port: Int = 8443

    @Option(name: .customLong("tls-cert"), help: "Quick start: PEM certificate chain.")
    var tlsCertificate: String?

    @Option(name: .customLong("tls-key"), help: "Quick start: PEM private key.")
    var tlsKey: String?

    @Flag(name: .customLong("self-signed"), help: "Quick start: make a self-signed certificate in the cache folder.")
    var selfSigned = false

    @Flag(help: "Quick start: plain HTTP instead of TLS (only on a trusted network).")
    var plaintext = false

    @Flag(help: "Serve the demo: SmolLM2-135M-Instruct (fetched by `make fixtures`) and a self-signed certificate.")
    var demo = false

    @Option(
        name: .customLong("cache-dir"),
        help: "Where --demo and --self-signed keep their files (default: ~/.cache/batchgate).")
    var cacheDirectory: String?

    @Flag(
        name: .customLong("fake-engine"),
        help: ArgumentHelp(
            "Benchmarks of the gateway only: workers answer with deterministic tokens instead of running the model.",
            visibility: .hidden))
    var fakeEngine = false

    @Option(
        name: .customLong("demo-model"),
        help: "--demo: the SmolLM2-135M-Instruct GGUF file (default: CACHE-DIR/models/SmolLM2-135M-Instruct.Q4_1.gguf)."
    )
    var demoModel: String?

    func validate() throws {
        let modes = [config != nil, !models.isEmpty, demo].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of --config, --model NAME=PATH or --demo") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be between 1 and 64") }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        let tlsChoices = [tlsCertificate != nil, selfSigned, plaintext].filter { $0 }.count
        guard tlsChoices <= 1 else {
            throw ValidationError("give at most one of --tls-cert/--tls-key, --self-signed, --plaintext")
        }
        if !models.isEmpty, tlsChoices == 0 {
            throw ValidationError("choose TLS: --tls-cert C --tls-key K, --self-signed, or --plaintext")
        }
        for model in models where !model.contains("=") {
            throw ValidationError("--model takes NAME=PATH, got '\(model)'")
        }
    }

    func run() async throws {
        let start = try ServeSetup(command: self).configuration()
        LoggingSystem.bootstrap(LogFormatting.factory(start.configuration.logging))
        let logger = Logger(label: "batchgate.gateway")
        for warning in start.configuration.warnings { logger.warning("\(warning)") }
        if let (before, after) = DescriptorLimit.raiseSoftToHard(), after != before {
            logger.info("open-descriptor limit raised from \(before) to \(after) (the hard limit)")
        }
        // A model no worker could load is refused here, once, rather than restarted forever.
        let problems = ModelFileCheck.problems(in: start.configuration)
        if !problems.isEmpty {
            for problem in problems { logger.critical("cannot serve: \(problem)") }
            throw ExitCode.failure
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(DescribedMetricsFactory(registry: registry))
        let cluster: ClusterState
        do {
            cluster = try await ClusterSetup.open(
                start.configuration.cluster, listener: start.configuration.listener,
                fallbackDirectory: start.dataDirectory,
                factory: DescribedMetricsFactory(registry: registry), logger: logger)
        } catch {
            logger.critical("cannot serve: \(error)")
            throw ExitCode.failure
        }
        var runtime = try GatewayRuntime(
            configuration: start.configuration, configurationPath: start.path,
            launchers: Self.processLaunchers(executable: Self.executablePath(), fakeEngine: fakeEngine),
            registry: registry, logger: logger, cluster: cluster)
        do {
            runtime.state.cluster?.routing = try ClusterSetup.routing(
                start.configuration, state: cluster, factory: DescribedMetricsFactory(registry: registry),
                logger: logger)
        } catch {
            logger.critical("cannot serve: \(error)")
            throw ExitCode.failure
        }
        if fakeEngine { logger.warning("--fake-engine: workers run no model; for measuring the gateway only") }
        let banner = start.banner
        let services = try runtime.services { _ in
            if let banner { FileHandle.standardOutput.write(Data((banner + "\n").utf8)) }
        }
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = start.configuration.listener.drainTimeout
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            // A service that fails at once (the listener's port in use) stops the group before the cluster service
            // could close the store; an open SQLite connection left to its deinit traps in debug builds.
            await cluster.store.close()
            logger.critical("cannot serve: \(error)")
            throw ExitCode.failure
        }
        logger.notice("stopped")
    }

    /// This executable, for spawning workers.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

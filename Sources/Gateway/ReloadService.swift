import BatchgateConfig
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads API keys, their quotas and the TLS certificate on SIGHUP, atomically: a configuration that fails validation
/// changes nothing, and every one of its problems is logged. Models and listener settings need a restart (a
/// change to them, or to tracing, is logged and ignored).
public struct ReloadService: Service {
    let runtime: GatewayRuntime

    /// A reloader for `runtime`.
    public init(runtime: GatewayRuntime) {
        self.runtime = runtime
    }

    /// Waits for SIGHUP until graceful shutdown.
    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() { reload() }
    }

    /// Re-reads the configuration file and applies keys and certificate; returns whether it succeeded.
    @discardableResult
    public func reload() -> Bool {
        let logger = runtime.state.logger
        guard let path = runtime.configurationPath else {
            logger.notice("SIGHUP: no configuration file to reload (started without --config)")
            return false
        }
        let fresh: BatchgateConfiguration
        do {
            fresh = try ConfigLoader.load(path: path)
        } catch {
            for issue in error.issues { logger.error("reload refused: \(issue)") }
            logger.error("reload refused: the configuration in force is unchanged")
            return false
        }
        if fresh.models != runtime.configuration.models || fresh.listener != runtime.configuration.listener
            || fresh.tracing != runtime.configuration.tracing
        {
            logger.warning("reload: model, listener and tracing changes take effect only after a restart")
        }
        if let tls = runtime.tls {
            do {
                try tls.reload()
            } catch {
                logger.error("reload refused: TLS certificate or key unreadable: \(error)")
                return false
            }
        }
        runtime.state.keys.replace(with: fresh.keys)
        runtime.state.quotas.keysReloaded(fresh.keys)
        let certificate = runtime.tls == nil ? "" : " and the TLS certificate"
        logger.notice("reloaded \(fresh.keys.count) API keys with their quotas\(certificate) from \(path)")
        return true
    }
}

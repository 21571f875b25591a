import BatchgateConfig
import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// The server's certificate and key, read from the configured files and swapped in place on reload: every new
/// handshake picks up the current pair (through NIOSSL's per-handshake context callback), connections already
/// open keep theirs.
public final class TLSCertificateStore: Sendable {
    /// The TLS settings.
    public let settings: BatchgateConfiguration.TLS
    private let current: Mutex<(chain: [NIOSSLCertificateSource], key: NIOSSLPrivateKeySource)>

    /// Loads the pair named by `settings`, first generating a self-signed one when `self_signed` is set and the
    /// files are missing.
    public init(settings: BatchgateConfiguration.TLS) throws {
        self.settings = settings
        if settings.selfSigned,
            !FileManager.default.fileExists(atPath: settings.certificate)
                || !FileManager.default.fileExists(atPath: settings.key)
        {
            try SelfSignedCertificate.write(certificatePath: settings.certificate, keyPath: settings.key)
        }
        current = Mutex(try Self.load(settings))
    }

    static func load(_ settings: BatchgateConfiguration.TLS) throws -> (
        chain: [NIOSSLCertificateSource], key: NIOSSLPrivateKeySource
    ) {
        let chain = try NIOSSLCertificate.fromPEMFile(settings.certificate).map {
            NIOSSLCertificateSource.certificate($0)
        }
        guard !chain.isEmpty else { throw TLSStoreError("\(settings.certificate) holds no certificate") }
        let key = try NIOSSLPrivateKey(file: settings.key, format: .pem)
        return (chain, .privateKey(key))
    }

    /// Reads the files again; on failure the pair in use stays and the error is thrown.
    public func reload() throws {
        let pair = try Self.load(settings)
        current.withLock { $0 = pair }
    }

    /// The server configuration: TLS 1.2 or 1.3 (or 1.3 only), the current pair, and client certificates checked
    /// against `client_ca` when it is set.
    public func configuration() -> TLSConfiguration {
        let (chain, key) = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
        configuration.minimumTLSVersion = settings.minVersion == .v1_3 ? .tlsv13 : .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        if let clientCA = settings.clientCA {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .file(clientCA)
        }
        configuration.sslContextCallback = { [weak self] _, promise in
            var override = NIOSSLContextConfigurationOverride()
            if let (chain, key) = self?.current.withLock({ $0 }) {
                override.certificateChain = chain
                override.privateKey = key
            }
            promise.succeed(override)
        }
        return configuration
    }
}

/// A certificate or key file that cannot be used.
public struct TLSStoreError: Error, CustomStringConvertible {
    /// What is wrong.
    public let description: String
    init(_ description: String) { self.description = description }
}

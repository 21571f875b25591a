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

    /// The TLS 1.2 suites offered unless `legacy_cipher_suites` is set: forward secrecy (ECDHE) and AEAD only —
    /// AES-GCM and ChaCha20-Poly1305, for ECDSA and RSA certificates. TLS 1.3's suites are all AEAD and are not
    /// configurable in BoringSSL.
    static let modernCipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// The server configuration: TLS 1.2 or 1.3 (or 1.3 only), AEAD suites only on TLS 1.2 (unless
    /// `legacy_cipher_suites`), the current pair, and client certificates checked against `client_ca` when it is set.
    public func configuration() -> TLSConfiguration {
        let (chain, key) = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
        configuration.minimumTLSVersion = settings.minVersion == .v1_3 ? .tlsv13 : .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        if !settings.legacyCipherSuites { configuration.cipherSuiteValues = Self.modernCipherSuites }
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

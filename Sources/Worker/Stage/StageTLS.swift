import Basics
import Foundation
import NIOSSL
import WorkerTransport

/// The TLS settings of one end of a pipeline link, loaded from its files: TLS 1.3 only, this end's certificate
/// presented, the other end's verified against the CA bundle. The stage (`server`) demands a client certificate;
/// the first stage (`client`) also checks the stage's certificate against the host it dialled (a DNS name, or an IP
/// address in the certificate's subjectAltName).
public struct StageTLS: Sendable {
    /// Which end of the link.
    public enum Role: Sendable {
        /// The first stage, which connects.
        case client
        /// `batchgate stage`, which accepts.
        case server
    }

    /// The end this context serves.
    public let role: Role
    /// The files it was loaded from, for messages.
    public let files: StageTLSFiles
    /// BoringSSL's context: thread-safe, one for every link of this end.
    let context: NIOSSLContext

    /// Loads `files` for `role`; a clear error names the file that is missing, unreadable or not PEM, or a key that
    /// does not belong to the certificate.
    public init(_ role: Role, files: StageTLSFiles) throws(StageLinkError) {
        let chain = try Self.certificates(files.certificate, what: "certificate")
        let roots = try Self.certificates(files.ca, what: "CA bundle")
        let key: NIOSSLPrivateKey
        do {
            try Self.checkReadable(files.key, what: "key")
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch let error as StageLinkError {
            throw error
        } catch {
            throw StageLinkError("the TLS key \(files.key) is not a PEM private key: \(error)")
        }
        var configuration: TLSConfiguration
        switch role {
        case .client:
            configuration = .makeClientConfiguration()
            configuration.certificateChain = chain.map { .certificate($0) }
            configuration.privateKey = .privateKey(key)
            configuration.certificateVerification = .fullVerification
        case .server:
            configuration = .makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            // A client certificate is required and must chain to the CA; a client has no host name to check.
            configuration.certificateVerification = .noHostnameVerification
        }
        configuration.trustRoots = .certificates(roots)
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw StageLinkError(
                "cannot use the TLS certificate \(files.certificate) with the key \(files.key) "
                    + "(does the key belong to the certificate?): \(error)")
        }
        self.role = role
        self.files = files
    }

    /// The certificates of the PEM file at `path`; at least one.
    private static func certificates(_ path: String, what: String) throws(StageLinkError) -> [NIOSSLCertificate] {
        try checkReadable(path, what: what)
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw StageLinkError("the TLS \(what) \(path) is not PEM certificates: \(error)")
        }
        guard !certificates.isEmpty else { throw StageLinkError("the TLS \(what) \(path) holds no certificate") }
        return certificates
    }

    /// Throws unless `path` names a readable file.
    private static func checkReadable(_ path: String, what: String) throws(StageLinkError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw StageLinkError("the TLS \(what) \(path) does not exist")
        }
        guard !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: path) else {
            throw StageLinkError("the TLS \(what) \(path) is not a readable file")
        }
    }
}

/// How the first stage reaches one later stage.
public enum StageLinkSecurity: Sendable {
    /// Plain TCP, on a network the operator trusts (`trusted_network: true`).
    case plain
    /// Mutual TLS with the first stage's client context.
    case tls(StageTLS)
}

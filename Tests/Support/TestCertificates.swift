import Foundation

/// Certificates for the pipeline's mutual-TLS tests, made with the openssl command line in a folder: two CAs (`ca`,
/// the cluster's, and `other-ca`, a stranger's) on P-256 keys, and leaves signed by them.
public struct TestCertificates {
    /// Where the files are.
    public let folder: URL

    /// Creates `ca.pem`/`ca.key` and `other-ca.pem`/`other-ca.key` in `folder`.
    public init(in folder: URL) throws {
        self.folder = folder
        for name in ["ca", "other-ca"] {
            try Self.openssl(
                ["req", "-x509"] + Self.curve + [
                    "-keyout", "\(name).key", "-out", "\(name).pem", "-days", "2", "-subj", "/CN=\(name)",
                ], in: folder)
        }
    }

    /// The path of `name` in the folder.
    public func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes `NAME.pem` and `NAME.key`, a leaf for `subjectAltName` (`IP:127.0.0.1`, `DNS:node-b`; none for a
    /// client) signed by the CA `signer` (`ca` or `other-ca`); returns the certificate's path.
    @discardableResult
    public func leaf(_ name: String, signedBy signer: String = "ca", subjectAltName: String? = nil) throws -> String {
        try Self.openssl(
            ["req"] + Self.curve + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name)"],
            in: folder)
        var arguments = [
            "x509", "-req", "-in", "\(name).csr", "-CA", "\(signer).pem", "-CAkey", "\(signer).key",
            "-CAcreateserial", "-out", "\(name).pem", "-days", "2",
        ]
        if let subjectAltName {
            try "subjectAltName=\(subjectAltName)\n".write(
                to: folder.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
            arguments += ["-extfile", "\(name).ext"]
        }
        try Self.openssl(arguments, in: folder)
        return path("\(name).pem")
    }

    /// A P-256 key, unencrypted.
    static let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    /// Runs the openssl command line in `folder`; throws with its output when it fails.
    static func openssl(_ arguments: [String], in folder: URL) throws {
        let (text, status) = try ProcessOutput.run("/usr/bin/openssl", arguments, in: folder)
        guard status == 0 else {
            throw CertificateError("openssl \(arguments.joined(separator: " ")) failed: \(text)")
        }
    }

    /// openssl failed.
    public struct CertificateError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}

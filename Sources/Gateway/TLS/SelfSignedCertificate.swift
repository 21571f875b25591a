import Crypto
import Foundation
import SwiftASN1
import X509

/// A self-signed certificate for the demo and quick starts: a P-256 key and a certificate for `localhost` and
/// 127.0.0.1, valid for a year.
public enum SelfSignedCertificate {
    /// Writes a fresh key and certificate as PEM to `keyPath` and `certificatePath` (the key readable by its owner
    /// only), creating their folders.
    public static func write(certificatePath: String, keyPath: String, now: Date = Date()) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName("Batchgate self-signed")
            OrganizationName("Batchgate")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                ])
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        let manager = FileManager.default
        for path in [certificatePath, keyPath] {
            try manager.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        try Data(key.pemRepresentation.utf8).write(to: URL(fileURLWithPath: keyPath), options: .atomic)
        try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        try Data(try certificate.serializeAsPEM().pemString.utf8).write(
            to: URL(fileURLWithPath: certificatePath), options: .atomic)
    }
}

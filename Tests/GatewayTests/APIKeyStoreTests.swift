import BatchgateConfig
import Foundation
import Testing

@testable import Gateway

@Suite("API key store")
struct APIKeyStoreTests {
    static let store = APIKeyStore([
        .init(name: "plain", sha256: [APIKeyDigest.sha256Hex(of: "bg-plain")]),
        // A key during a rotation has two digests; this one is written in upper case.
        .init(
            name: "rotating",
            sha256: [APIKeyDigest.sha256Hex(of: "bg-old"), APIKeyDigest.sha256Hex(of: "bg-new").uppercased()]),
        .init(
            name: "expired", sha256: [APIKeyDigest.sha256Hex(of: "bg-expired")],
            expires: Date(timeIntervalSince1970: 1_000)),
    ])

    @Test(
        "Bearer KEY finds its key whatever the scheme's case and the blanks around the key",
        arguments: [
            ("Bearer bg-plain", "plain"), ("bearer bg-plain", "plain"), ("BEARER   bg-plain  ", "plain"),
            (" Bearer\tbg-plain\t", "plain"), ("Bearer bg-old", "rotating"), ("Bearer bg-new", "rotating"),
        ])
    func accepted(header: String, name: String) throws {
        #expect(try Self.store.authenticate(authorization: header).name == name)
    }

    @Test(
        "Another form of the header is a missing key; a wrong or expired key is an invalid one",
        arguments: [
            (nil, GatewayError.Code.missingAPIKey), ("", .missingAPIKey), ("Bearer", .missingAPIKey),
            ("Bearer   ", .missingAPIKey), ("Basic bg-plain", .missingAPIKey), ("bg-plain", .missingAPIKey),
            ("Bearer bg-plainx", .invalidAPIKey), ("Bearer BG-PLAIN", .invalidAPIKey),
            ("Bearer bg-plain extra", .invalidAPIKey), ("Bearer bg-expired", .invalidAPIKey),
        ] as [(String?, GatewayError.Code)])
    func refused(header: String?, code: GatewayError.Code) {
        #expect {
            try Self.store.authenticate(authorization: header)
        } throws: { error in
            (error as? GatewayError)?.code == code
        }
    }

    @Test("A replaced key set takes effect at once")
    func replace() throws {
        let store = APIKeyStore([.init(name: "a", sha256: [APIKeyDigest.sha256Hex(of: "bg-a")])])
        #expect(try store.authenticate(authorization: "Bearer bg-a").name == "a")
        store.replace(with: [.init(name: "b", sha256: [APIKeyDigest.sha256Hex(of: "bg-b")])])
        #expect(throws: GatewayError.self) { try store.authenticate(authorization: "Bearer bg-a") }
        #expect(try store.authenticate(authorization: "Bearer bg-b").name == "b")
    }
}

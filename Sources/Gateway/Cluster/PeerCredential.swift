import Crypto
import Foundation
import HTTPTypes
import Synchronization

/// The node-to-node credential of a forwarded request: the forwarding node signs, with an HMAC-SHA256 of the secret
/// every node shares (`cluster.peer_secret_file`), which node forwards to which, the name of the key it
/// authenticated, the request id, the time, and the method and path. The receiving node takes the key's identity
/// from a valid signature instead of an `Authorization` header, and never forwards the request again.
///
/// An ordinary client cannot make a valid signature; a signature is good for one receiving node, for
/// `maxAge` either side of its time, and once (a replayed one is refused).
public final class PeerCredential: Sendable {
    /// The headers of a forwarded request.
    public enum Header {
        /// The forwarding node's name.
        public static let from = HTTPField.Name("x-batchgate-forwarded-from")!
        /// The receiving node's name.
        public static let to = HTTPField.Name("x-batchgate-forwarded-to")!
        /// The name of the key the forwarding node authenticated.
        public static let key = HTTPField.Name("x-batchgate-forwarded-key")!
        /// Milliseconds since 1970 when it was signed.
        public static let at = HTTPField.Name("x-batchgate-forwarded-at")!
        /// The HMAC-SHA256, 64 hex digits.
        public static let signature = HTTPField.Name("x-batchgate-forwarded-signature")!
        /// All of them: a request carrying any is a forwarded one, and is checked as such.
        public static let all = [from, to, key, at, signature]
    }

    /// Who a verified forwarded request comes from, and for which key.
    public struct Forwarded: Sendable, Equatable {
        /// The forwarding node.
        public var from: String
        /// The key the forwarding node authenticated.
        public var keyName: String
    }

    /// The shortest secret accepted, in bytes.
    public static let minimumSecretBytes = 32
    /// How far a signature's time may be from the receiver's clock.
    public static let maxAge: Duration = .seconds(30)

    private let key: SymmetricKey
    /// This node's name: what it signs as `from` and what it requires as `to`.
    public let node: String
    /// Signatures seen within `maxAge`, with their time (ms), so that each is accepted once.
    private let seen = Mutex<[String: Int64]>([:])

    /// A credential for `node` over `secret`; throws when the secret is shorter than `minimumSecretBytes`.
    public init(secret: some DataProtocol, node: String) throws(PeerRoutingError) {
        guard secret.count >= Self.minimumSecretBytes else {
            throw PeerRoutingError(
                "cluster.peer_secret_file: the secret has \(secret.count) bytes; at least \(Self.minimumSecretBytes) are needed "
                    + "(e.g. `openssl rand -hex 32`)")
        }
        key = SymmetricKey(data: Array(secret))
        self.node = node
    }

    /// The credential from the first line of `path` (a mounted secret).
    public convenience init(file path: String, node: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PeerRoutingError("cluster.peer_secret_file: cannot read \(path)")
        }
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""
        try self.init(secret: Array(line.utf8), node: node)
    }

    /// The headers that forward a request of `keyName` with `requestID` to node `peer`.
    public func sign(
        to peer: String, keyName: String, requestID: String, method: HTTPRequest.Method, path: String,
        now: Date = Date()
    ) -> HTTPFields {
        let at = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let signature = mac(
            from: node, to: peer, keyName: keyName, requestID: requestID, at: at, method: method, path: path)
        return [
            Header.from: node, Header.to: peer, Header.key: keyName, Header.at: String(at),
            Header.signature: signature, RequestIDMiddleware.header: requestID,
        ]
    }

    /// Whether `headers` carry any forwarding header (then `verify` must accept them, or the request is refused).
    public static func isForwarded(_ headers: HTTPFields) -> Bool {
        Header.all.contains { headers[$0] != nil }
    }

    /// The forwarding node and key of a request with `headers`, or a 401 when the signature is missing, wrong,
    /// meant for another node, too old or already used.
    public func verify(
        _ headers: HTTPFields, requestID: String, method: HTTPRequest.Method, path: String, now: Date = Date()
    ) throws(GatewayError) -> Forwarded {
        func refuse(_ why: String) -> GatewayError {
            GatewayError(.invalidAPIKey, "forwarded request refused: \(why)", label: "invalid_peer_signature")
        }
        guard let from = headers[Header.from], let to = headers[Header.to], let keyName = headers[Header.key],
            let atText = headers[Header.at], let at = Int64(atText), let signature = headers[Header.signature]
        else { throw refuse("the forwarding headers are incomplete") }
        let expected = mac(
            from: from, to: to, keyName: keyName, requestID: requestID, at: at, method: method, path: path)
        guard Self.constantTimeEqual(signature, expected) else { throw refuse("the signature does not match") }
        guard to == node else { throw refuse("it was signed for node '\(to)', not this node ('\(node)')") }
        let nowMs = Int64((now.timeIntervalSince1970 * 1000).rounded())
        let window = Int64(Self.maxAge.components.seconds * 1000)
        guard abs(nowMs - at) <= window else {
            throw refuse("its signature is \(abs(nowMs - at)) ms from this node's clock (at most \(window))")
        }
        let fresh = seen.withLock { seen in
            if seen.count > 4096 { seen = seen.filter { nowMs - $0.value <= window } }
            guard seen[signature] == nil else { return false }
            seen[signature] = at
            return true
        }
        guard fresh else { throw refuse("its signature was used before") }
        return Forwarded(from: from, keyName: keyName)
    }

    private func mac(
        from: String, to: String, keyName: String, requestID: String, at: Int64, method: HTTPRequest.Method,
        path: String
    ) -> String {
        let text = ["batchgate-forward-v1", from, to, keyName, requestID, String(at), "\(method.rawValue) \(path)"]
            .joined(separator: "\n")
        let code = HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)
        return code.map { byte in String(byte, radix: 16).leftPadded(to: 2) }.joined()
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

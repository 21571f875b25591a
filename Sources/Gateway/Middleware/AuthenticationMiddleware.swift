import BatchgateConfig
import Foundation
import Hummingbird

/// Lets through only requests with a valid API key (`Authorization: Bearer …`), or forwarded by a peer node with a
/// valid signature naming the key (`PeerCredential`), and hands the key to the handlers and the request's log line.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let keys: APIKeyStore
    /// Checks forwarded requests; nil refuses them.
    var peers: PeerCredential?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let key: BatchgateConfiguration.APIKey
        if PeerCredential.isForwarded(request.headers) {
            let forwarded = try forwardedKey(request, requestID: context.requestID)
            key = forwarded.key
            context.forwardedFrom = forwarded.from
        } else {
            key = try keys.authenticate(authorization: request.headers[.authorization])
        }
        context.record?.update { $0.key = key.name }
        context.key = key
        return try await next(request, context)
    }

    /// The key and forwarding node of a request a peer forwarded, or a 401 when this node takes no forwarded
    /// requests, the signature is not valid, or the key is unknown here or expired.
    func forwardedKey(_ request: Request, requestID: String) throws(GatewayError) -> (
        key: BatchgateConfiguration.APIKey, from: String
    ) {
        guard let peers else {
            throw GatewayError(
                .invalidAPIKey, "forwarded request refused: this node takes none (cluster.peer_secret_file is unset)",
                label: "invalid_peer_signature")
        }
        let forwarded = try peers.verify(
            request.headers, requestID: requestID, method: request.method, path: request.uri.path)
        guard let key = keys.keys.first(where: { $0.name == forwarded.keyName }), !key.isExpired(at: Date()) else {
            throw GatewayError(
                .invalidAPIKey, "the forwarded key '\(forwarded.keyName)' is not valid on this node")
        }
        return (key, forwarded.from)
    }
}

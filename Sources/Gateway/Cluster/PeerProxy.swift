import AsyncHTTPClient
import BatchgateConfig
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The HTTP client a node forwards requests to its peers with: HTTPS to the peers' listeners, trusting the
/// certificates of `cluster.peer_ca_file` (default the listener's own chain) and checking the advertised name or
/// address against them; plain HTTP only when the node's own listener is plain. The connection pool is kept for the
/// life of the server, so most forwards reuse a connection.
public final class PeerProxy: Sendable {
    let client: HTTPClient
    /// `https` or `http`.
    let scheme: String
    /// How long connecting to a peer may take before the next peer is tried.
    public static let connectTimeout: TimeAmount = .seconds(2)

    /// A proxy for a node whose listener is `listener`, with `tls` (nil when plain); `peerCAFile` replaces the
    /// listener's certificate chain as the peers' trust roots. With mutual TLS on the listener (`tls.client_ca`),
    /// the node presents its own certificate to its peers.
    public init(
        listener: BatchgateConfiguration.Listener, tls: BatchgateConfiguration.TLS?, peerCAFile: String?
    ) throws {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: Self.connectTimeout))
        // A peer that cannot be connected to is given up at once (the next one is tried), not retried until the
        // request's deadline; every stream to a peer holds a connection under HTTP/1.1, so allow many.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        if let tls, !listener.plaintext {
            scheme = "https"
            var settings = TLSConfiguration.makeClientConfiguration()
            let roots = peerCAFile ?? tls.certificate
            do {
                settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(roots))
                if tls.clientCA != nil {
                    settings.certificateChain = try NIOSSLCertificate.fromPEMFile(tls.certificate).map {
                        .certificate($0)
                    }
                    settings.privateKey = .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))
                }
            } catch {
                throw PeerRoutingError(
                    "cannot read the peers' trust roots from \(roots)"
                        + (peerCAFile == nil ? " (tls.certificate; set cluster.peer_ca_file)" : "") + ": \(error)")
            }
            configuration.tlsConfiguration = settings
        } else {
            scheme = "http"
        }
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Sends `body` to `address` (`host:port`) at `path` with `headers`, and returns once the answer's head has
    /// come; its body streams after. Throws when the peer cannot be reached or fails before its head.
    func send(
        to address: String, method: HTTPRequest.Method, path: String, headers: HTTPFields, body: ByteBuffer,
        deadline: NIODeadline
    ) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: "\(scheme)://\(address)\(path)")
        request.method = HTTPMethod(rawValue: method.rawValue)
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        request.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        request.body = .bytes(body)
        return try await client.execute(request, deadline: deadline)
    }

    /// Closes the connections.
    public func shutdown() async {
        try? await client.shutdown()
    }
}

/// Why routing between nodes cannot be set up.
public struct PeerRoutingError: Error, CustomStringConvertible {
    /// What is wrong, naming the setting.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

import Metrics
import Synchronization

/// Routing between nodes: the view of the peers, the credential that signs and checks forwarded requests, the HTTP
/// client that carries them, and their metrics. Present when `cluster.database_url` and `cluster.peer_secret_file`
/// are both set.
public struct PeerRouting: Sendable {
    /// The fresh peers and what they serve.
    public let directory: PeerDirectory
    /// Signs the requests this node forwards and checks the ones it receives.
    public let credential: PeerCredential
    /// Carries forwarded requests.
    public let proxy: PeerProxy
    let metrics: RoutingMetrics

    /// Routing over its parts; forwards are counted by `factory`.
    public init(
        directory: PeerDirectory, credential: PeerCredential, proxy: PeerProxy, factory: any MetricsFactory
    ) {
        self.directory = directory
        self.credential = credential
        self.proxy = proxy
        metrics = RoutingMetrics(factory: factory)
    }
}

/// How a forward to a peer ended, the `outcome` label of `batchgate_requests_forwarded_total`.
enum ForwardOutcome: String, Sendable, CaseIterable {
    /// The peer's answer was relayed whole (whatever its status).
    case answered
    /// The peer could not be reached, or failed before its answer's head; the next peer was tried.
    case unreachable
    /// The peer's answer broke off; the client got an error (a streamed one, an error event and `[DONE]`).
    case failed
    /// The client went away while the answer was relayed.
    case clientGone = "client_gone"
}

/// `batchgate_requests_forwarded_total{peer, outcome}`: one counter per peer node and outcome, made on first use
/// (the peers are the cluster's nodes, so the labels stay few).
final class RoutingMetrics: Sendable {
    private let factory: any MetricsFactory
    private let counters = Mutex<[String: Counter]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Counts one forward to `peer` that ended with `outcome`.
    func forwarded(to peer: String, _ outcome: ForwardOutcome) {
        let counter = counters.withLock { counters in
            let name = peer + "\n" + outcome.rawValue
            if let counter = counters[name] { return counter }
            let made = Counter(
                label: "batchgate_requests_forwarded_total",
                dimensions: [("peer", peer), ("outcome", outcome.rawValue)],
                factory: factory)
            counters[name] = made
            return made
        }
        counter.increment()
    }
}

import WorkerProtocol

/// One end of a pipeline link, carrying whole stage messages with a deadline on every read and write: plain TCP
/// (`StageSocket`, on a trusted network only) or mutual TLS (`TLSStageSocket`). Not `Sendable`; one owner at a time
/// (`RemoteStage` holds its lock around every call).
public protocol StageConnection: AnyObject {
    /// The peer, for messages.
    var peer: String { get }
    /// Sends `bytes` (one encoded message) whole within `timeout`.
    func send(_ bytes: [UInt8], timeout: Duration) throws(StageLinkError)
    /// Receives one whole frame (header and body) within `timeout`; nil when the peer closed the link cleanly
    /// before a frame began.
    func receive(timeout: Duration) throws(StageLinkError) -> [UInt8]?
    /// Whether bytes (or the end of the link) arrived within `timeout`.
    func isReadable(within timeout: Duration) -> Bool
    /// Closes the link (idempotent).
    func close()
}

/// The framing both kinds of link share: one message a frame, its 16-byte header announcing its body's length.
enum StageFrame {
    /// The largest frame either end sends or accepts: 256 MiB, far above any pass (16 384 rows of 8192 F32 values
    /// is 512 MiB only for a prompt batch no step carries).
    static let maxBytes = 256 << 20

    /// The body length `header` announces, once it is known to start a stage message of an acceptable size; a
    /// TLS handshake arriving on a plain link is named as such.
    static func bodyLength(header: [UInt8], peer: String) throws(StageLinkError) -> Int {
        var magic: UInt32 = 0
        for index in 0..<4 { magic |= UInt32(header[index]) << (8 * index) }
        guard magic == MessageHeader.magic else {
            // A TLS record of type handshake (22), version 3.x: a ClientHello.
            if header[0] == 0x16, header[1] == 0x03 {
                throw StageLinkError(
                    "\(peer) began a TLS handshake on a plain-TCP link: its first stage has models[].pipeline_tls "
                        + "set; start this stage with --tls-certificate, --tls-key and --tls-ca instead of "
                        + "--trusted-network, or mark the stage trusted_network: true on the gateway")
            }
            throw StageLinkError(
                "\(peer) sent a frame that is not a stage message (magic 0x\(String(magic, radix: 16)))")
        }
        let length = header[8..<12].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard length <= maxBytes - MessageHeader.size else {
            throw StageLinkError("\(peer): a frame of \(length) body bytes is larger than \(maxBytes)")
        }
        return length
    }
}

/// The PEM files of one end of a pipeline link over mutual TLS: its own certificate chain and private key, and the CA
/// bundle the other end's certificate must chain to (Docs/pipeline.md, "Security"). The configuration reads the first
/// stage's (`models[].pipeline_tls`), the worker is started with them, and `batchgate stage` takes a stage's.
public struct StageTLSFiles: Sendable, Equatable {
    /// This end's certificate chain, leaf first.
    public var certificate: String
    /// The private key of the leaf certificate.
    public var key: String
    /// The CA certificates the peer's certificate must chain to.
    public var ca: String

    /// The three files.
    public init(certificate: String, key: String, ca: String) {
        self.certificate = certificate
        self.key = key
        self.ca = ca
    }
}

import Basics

extension BatchgateConfiguration {
    /// One entry of `models[].pipeline`: where a contiguous range of the model's layers runs.
    public struct PipelineStage: Sendable, Equatable {
        /// `local` for the first stage (this node's worker), else the `HOST:PORT` a `batchgate stage` listens on.
        public var host: String
        /// The layers, as a half-open range (written `FIRST-LAST` in the file).
        public var layers: Range<Int>
        /// Whether the link to this stage is plain TCP on a network the operator trusts (`trusted_network: true`);
        /// otherwise it is mutual TLS with the model's `pipeline_tls`.
        public var trustedNetwork: Bool

        /// Creates a stage.
        public init(host: String, layers: Range<Int>, trustedNetwork: Bool = false) {
            self.host = host
            self.layers = layers
            self.trustedNetwork = trustedNetwork
        }

        /// The host of the first stage.
        public static let localHost = "local"
    }
}

extension BatchgateConfiguration {
    /// `models[].pipeline_tls`: the files of the first stage's end of its mutual-TLS links to the later stages (its
    /// client certificate and key, which the stages check against their `--tls-ca`, and the CA bundle a stage's
    /// certificate and host are checked against).
    public typealias PipelineTLS = StageTLSFiles
}

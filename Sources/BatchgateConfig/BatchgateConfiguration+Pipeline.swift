extension BatchgateConfiguration {
    /// One entry of `models[].pipeline`: where a contiguous range of the model's layers runs.
    public struct PipelineStage: Sendable, Equatable {
        /// `local` for the first stage (this node's worker), else the `HOST:PORT` a `batchgate stage` listens on.
        public var host: String
        /// The layers, as a half-open range (written `FIRST-LAST` in the file).
        public var layers: Range<Int>

        /// Creates a stage.
        public init(host: String, layers: Range<Int>) {
            self.host = host
            self.layers = layers
        }

        /// The host of the first stage.
        public static let localHost = "local"
    }
}

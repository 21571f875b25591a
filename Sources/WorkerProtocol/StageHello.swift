/// A later pipeline stage → the first stage, once, when the first stage's link to it opens: which blocks of which
/// model it runs. The first stage checks it against its own model before sending a pass.
public struct StageHello: WireMessage, Hashable {
    /// The header kind byte.
    public static let kind = MessageKind.stageHello
    /// The version of the stage messages this build speaks (`StageHello`, `StageForward`, `StageReturn`); the
    /// header's version covers their framing.
    public static let currentStageVersion: UInt16 = 1

    /// The stage-message version the stage speaks.
    public var stageVersion: UInt16
    /// The stage's process id.
    public var processID: Int32
    /// The model's name (from its file's metadata).
    public var modelName: String
    /// Blocks in the whole model.
    public var layerCount: UInt32
    /// The first block the stage runs.
    public var firstLayer: UInt32
    /// One past the last block the stage runs.
    public var endLayer: UInt32
    /// Values in a row of the residual stream.
    public var embeddingLength: UInt32
    /// The longest sequence, in tokens, the stage accepts.
    public var contextLength: UInt32
    /// KV cache blocks in the stage's cache, and tokens per block.
    public var kvBlocksTotal: UInt32, kvBlockSize: UInt32

    /// Creates a hello.
    public init(
        stageVersion: UInt16 = StageHello.currentStageVersion, processID: Int32, modelName: String, layerCount: UInt32,
        firstLayer: UInt32, endLayer: UInt32, embeddingLength: UInt32, contextLength: UInt32, kvBlocksTotal: UInt32,
        kvBlockSize: UInt32
    ) {
        self.stageVersion = stageVersion
        self.processID = processID
        self.modelName = modelName
        self.layerCount = layerCount
        self.firstLayer = firstLayer
        self.endLayer = endLayer
        self.embeddingLength = embeddingLength
        self.contextLength = contextLength
        self.kvBlocksTotal = kvBlocksTotal
        self.kvBlockSize = kvBlockSize
    }

    /// Layout: version u16, pid i32, seven u32 (layer count, first and end layer, embedding length, context length,
    /// KV blocks, block size), then the model name as a string.
    public func encodeBody(into writer: inout WireWriter) {
        writer.write(stageVersion)
        writer.write(processID)
        for value in [layerCount, firstLayer, endLayer, embeddingLength, contextLength, kvBlocksTotal, kvBlockSize] {
            writer.write(value)
        }
        writer.write(modelName)
    }

    /// Reads the body `encodeBody(into:)` writes; a layer range that is empty or past the model is `invalidValue`.
    public init(body reader: inout WireReader) throws(ProtocolError) {
        stageVersion = try reader.read(UInt16.self)
        processID = try reader.read(Int32.self)
        layerCount = try reader.read(UInt32.self)
        firstLayer = try reader.read(UInt32.self)
        endLayer = try reader.read(UInt32.self)
        embeddingLength = try reader.read(UInt32.self)
        contextLength = try reader.read(UInt32.self)
        kvBlocksTotal = try reader.read(UInt32.self)
        kvBlockSize = try reader.read(UInt32.self)
        modelName = try reader.readString("model name")
        guard firstLayer < endLayer, endLayer <= layerCount else {
            throw ProtocolError(
                .invalidValue, "stage layers \(firstLayer)..<\(endLayer) are not a range within \(layerCount) layers")
        }
    }
}

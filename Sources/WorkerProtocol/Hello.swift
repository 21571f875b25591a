/// Worker → gateway, once after the worker has loaded its model: who it is and what it can hold.
public struct Hello: WireMessage, Hashable {
    /// The header kind byte.
    public static let kind = MessageKind.hello

    /// The protocol version the worker speaks (also checked in every header).
    public var protocolVersion: UInt16
    /// The worker's process id.
    public var processID: Int32
    /// The model's name (from its file's metadata).
    public var modelName: String
    /// The model architecture, e.g. `llama` or `qwen2`.
    public var architecture: String
    /// Tokens in the vocabulary.
    public var vocabularySize: UInt32
    /// The longest sequence, in tokens, the worker accepts.
    public var contextLength: UInt32
    /// Tokens per KV cache block.
    public var kvBlockSize: UInt32
    /// KV cache blocks in total.
    public var kvBlocksTotal: UInt32
    /// The most tokens one `Step` may carry (prompt chunks plus decodes).
    public var maxBatchTokens: UInt32

    /// Creates a hello.
    public init(
        protocolVersion: UInt16 = MessageHeader.currentVersion, processID: Int32, modelName: String,
        architecture: String, vocabularySize: UInt32, contextLength: UInt32, kvBlockSize: UInt32,
        kvBlocksTotal: UInt32, maxBatchTokens: UInt32
    ) {
        self.protocolVersion = protocolVersion
        self.processID = processID
        self.modelName = modelName
        self.architecture = architecture
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.kvBlockSize = kvBlockSize
        self.kvBlocksTotal = kvBlocksTotal
        self.maxBatchTokens = maxBatchTokens
    }

    /// Layout: version u16, pid i32, five u32 sizes, then model name and architecture as strings.
    public func encodeBody(into writer: inout WireWriter) {
        writer.write(protocolVersion)
        writer.write(processID)
        writer.write(vocabularySize)
        writer.write(contextLength)
        writer.write(kvBlockSize)
        writer.write(kvBlocksTotal)
        writer.write(maxBatchTokens)
        writer.write(modelName)
        writer.write(architecture)
    }

    /// Reads the body `encodeBody(into:)` writes.
    public init(body reader: inout WireReader) throws(ProtocolError) {
        protocolVersion = try reader.read(UInt16.self)
        processID = try reader.read(Int32.self)
        vocabularySize = try reader.read(UInt32.self)
        contextLength = try reader.read(UInt32.self)
        kvBlockSize = try reader.read(UInt32.self)
        kvBlocksTotal = try reader.read(UInt32.self)
        maxBatchTokens = try reader.read(UInt32.self)
        modelName = try reader.readString("model name")
        architecture = try reader.readString("architecture")
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds a GGUF v3 file: ordered metadata plus tensors whose bytes are given up front or produced lazily while
/// the file is written, so a model larger than memory can be written tensor by tensor.
///
/// Tensors are validated as they are added; `write(to:)` lays the data out at `general.alignment` (32 unless the
/// metadata says otherwise), pads between and after tensors, and replaces the destination atomically.
public struct GGUFWriter {
    /// Where a tensor's bytes come from.
    public enum TensorData {
        /// Bytes already in memory.
        case bytes([UInt8])
        /// A closure that writes exactly the tensor's bytes into the sink when the file is written.
        case producer((GGUFDataSink) throws -> Void)
    }

    private struct PendingTensor {
        let name: String
        let type: GGMLType
        let shape: [Int]
        let byteCount: Int
        let data: TensorData
    }

    /// The path `GGUFError`s name for problems found before there is a file.
    static let writerPath = "(GGUF writer)"

    /// The metadata, in the order it will be written; `general.alignment` (a `uint32`) sets the data alignment.
    public var metadata: GGUFMetadata
    private var pending: [PendingTensor] = []
    private var names: Set<String> = []

    /// Creates an empty writer; an `alignment` other than 32 is recorded as `general.alignment`.
    public init(alignment: Int = 32, metadata: GGUFMetadata = GGUFMetadata()) {
        self.metadata = metadata
        if alignment != 32 { self.metadata["general.alignment"] = .uint32(UInt32(truncatingIfNeeded: alignment)) }
    }

    /// Sets `key` to `value`, appending a new key or replacing an existing one in place.
    public mutating func set(_ key: String, _ value: GGUFValue) {
        metadata[key] = value
    }

    /// The tensors added so far, with the offsets they will have in the data section.
    public var tensorInfos: [GGUFTensorInfo] {
        let alignment = (try? resolvedAlignment()) ?? 32
        var offset = 0
        return pending.map { t in
            defer { offset = Self.align(offset + t.byteCount, alignment) }
            return GGUFTensorInfo(name: t.name, shape: t.shape, type: t.type, offset: offset, byteCount: t.byteCount)
        }
    }

    /// Adds a tensor whose bytes are in memory; `bytes.count` must match `type` and `shape`.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws(GGUFError) {
        let byteCount = try validate(name: name, type: type, shape: shape)
        guard bytes.count == byteCount else {
            throw GGUFError(
                .badTensorInfo, path: Self.writerPath,
                "tensor '\(name)': \(type) \(shape) takes \(byteCount) bytes, \(bytes.count) were given")
        }
        append(PendingTensor(name: name, type: type, shape: shape, byteCount: byteCount, data: .bytes(bytes)))
    }

    /// Adds a tensor whose bytes `bytes` writes into the sink while the file is written; it must write exactly
    /// the number of bytes `type` and `shape` take.
    public mutating func addTensor(
        name: String, type: GGMLType, shape: [Int], bytes: @escaping (GGUFDataSink) throws -> Void
    ) throws(GGUFError) {
        let byteCount = try validate(name: name, type: type, shape: shape)
        append(PendingTensor(name: name, type: type, shape: shape, byteCount: byteCount, data: .producer(bytes)))
    }

    /// Adds a tensor from `Float`s, encoded now as `type` (which must be one `GGMLType.quantize` supports).
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], floats: [Float]) throws(GGUFError) {
        let byteCount = try validate(name: name, type: type, shape: shape)
        guard floats.count == byteCount / type.blockBytes * type.blockSize else {
            throw GGUFError(
                .badTensorInfo, path: Self.writerPath,
                "tensor '\(name)': shape \(shape) has \(shape.reduce(1, *)) elements, \(floats.count) floats were given"
            )
        }
        append(
            PendingTensor(
                name: name, type: type, shape: shape, byteCount: byteCount, data: .bytes(try type.quantize(floats))))
    }

    private mutating func append(_ tensor: PendingTensor) {
        names.insert(tensor.name)
        pending.append(tensor)
    }

    /// Checks a new tensor's name, shape and type; returns its size in bytes.
    private func validate(name: String, type: GGMLType, shape: [Int]) throws(GGUFError) -> Int {
        func fail(_ detail: String) -> GGUFError { GGUFError(.badTensorInfo, path: Self.writerPath, detail) }
        guard !name.isEmpty, name.utf8.count <= GGUFFile.maximumTensorNameBytes else {
            throw fail(
                "tensor name '\(name)' has \(name.utf8.count) bytes (1 to \(GGUFFile.maximumTensorNameBytes) allowed)")
        }
        guard !names.contains(name) else { throw fail("duplicate tensor name '\(name)'") }
        guard (1...4).contains(shape.count) else {
            throw fail("tensor '\(name)' has \(shape.count) dimensions (1 to 4 are allowed)")
        }
        guard shape.allSatisfy({ $0 >= 1 && $0 <= Int(Int32.max) }) else {
            throw fail("tensor '\(name)' has shape \(shape): every dimension must be 1 to \(Int32.max)")
        }
        var elements = 1
        for d in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("tensor '\(name)' with shape \(shape) has too many elements") }
            elements = product
        }
        guard shape[0] % type.blockSize == 0, let bytes = type.byteCount(elements: elements) else {
            throw fail(
                "tensor '\(name)': row length \(shape[0]) is not a multiple of \(type)'s block of \(type.blockSize)")
        }
        return bytes
    }

    /// The data alignment the metadata asks for.
    private func resolvedAlignment() throws(GGUFError) -> Int {
        guard let value = metadata["general.alignment"] else { return 32 }
        guard case .uint32(let a) = value, a > 0, a & (a - 1) == 0, a <= 1 << 20 else {
            throw GGUFError(
                .badAlignment, path: Self.writerPath,
                "general.alignment must be a uint32 power of two up to 2^20, found \(value)")
        }
        return Int(a)
    }

    static func align(_ offset: Int, _ alignment: Int) -> Int {
        (offset + alignment - 1) / alignment * alignment
    }

    /// Writes the file to `path`: first to a temporary file next to it, then renamed over `path`, so readers never
    /// see a half-written file. Lazy tensor producers run now, in tensor order.
    public func write(to path: String) throws(GGUFError) {
        let alignment: Int
        do {
            alignment = try resolvedAlignment()
            for entry in metadata.entries { try Self.validate(entry.value, key: entry.key, depth: 0) }
        } catch {
            throw GGUFError(error.code, path: path, error.detail)
        }
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw GGUFError(.writeFailed, path: path, "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var closed = false
        defer {
            if !closed {
                close(fd)
                unlink(temporary)
            }
        }
        let sink = GGUFDataSink(fd: fd, path: path)
        try writeContents(to: sink, alignment: alignment)
        try sink.flush()
        guard fsync(fd) == 0 else {
            throw GGUFError(.writeFailed, path: path, "cannot sync: \(String(cString: strerror(errno)))")
        }
        closed = true
        guard close(fd) == 0 else {
            unlink(temporary)
            throw GGUFError(.writeFailed, path: path, "cannot close: \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw GGUFError(.writeFailed, path: path, "cannot rename \(temporary) into place: \(reason)")
        }
    }

    private func writeContents(to sink: GGUFDataSink, alignment: Int) throws(GGUFError) {
        try sink.writeInteger(GGUFFile.magic)
        try sink.writeInteger(UInt32(3))
        try sink.writeInteger(UInt64(pending.count))
        try sink.writeInteger(UInt64(metadata.count))
        for entry in metadata.entries {
            try Self.writeString(entry.key, to: sink)
            try sink.writeInteger(entry.value.type.rawValue)
            try Self.writeValue(entry.value, to: sink)
        }
        var offset = 0
        for tensor in pending {
            try Self.writeString(tensor.name, to: sink)
            try sink.writeInteger(UInt32(tensor.shape.count))
            for d in tensor.shape { try sink.writeInteger(UInt64(d)) }
            try sink.writeInteger(tensor.type.rawValue)
            try sink.writeInteger(UInt64(offset))
            offset = Self.align(offset + tensor.byteCount, alignment)
        }
        try sink.writeZeros(Self.align(sink.bytesWritten, alignment) - sink.bytesWritten)
        let dataStart = sink.bytesWritten
        for tensor in pending {
            let start = sink.bytesWritten
            switch tensor.data {
            case .bytes(let bytes):
                try sink.write(bytes)
            case .producer(let produce):
                sink.limit = start + tensor.byteCount
                sink.limitOwner = "the producer of tensor '\(tensor.name)'"
                do {
                    try produce(sink)
                } catch let error as GGUFError {
                    throw error.path == sink.path
                        ? error : GGUFError(error.code, path: sink.path, "tensor '\(tensor.name)': \(error.detail)")
                } catch {
                    throw GGUFError(
                        .writeFailed, path: sink.path, "the producer of tensor '\(tensor.name)' failed: \(error)")
                }
                sink.limit = nil
                guard sink.bytesWritten == start + tensor.byteCount else {
                    throw GGUFError(
                        .badTensorInfo, path: sink.path,
                        "the producer of tensor '\(tensor.name)' wrote \(sink.bytesWritten - start) bytes, "
                            + "\(tensor.type) \(tensor.shape) takes \(tensor.byteCount)")
                }
            }
            let end = sink.bytesWritten - dataStart
            try sink.writeZeros(Self.align(end, alignment) - end)
        }
    }
}

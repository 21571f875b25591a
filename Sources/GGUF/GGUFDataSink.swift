#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffered, write-only byte stream into the file `GGUFWriter` is writing; lazy tensor producers write their
/// bytes into it, in order, so a large tensor never has to be in memory all at once.
public final class GGUFDataSink {
    /// The file being written (the final path, which error messages name).
    public let path: String
    /// Bytes written so far, counting those still buffered.
    public private(set) var bytesWritten = 0
    /// When set, writing past this total throws (the writer uses it to keep a tensor producer to its size).
    var limit: Int?
    /// What `limit` guards, for the error message.
    var limitOwner = ""

    private let fd: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init(fd: Int32, path: String, bufferBytes: Int = 1 << 20) {
        self.fd = fd
        self.path = path
        self.buffer = .allocate(byteCount: bufferBytes, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        try reserve(bytes.count)
        var rest = bytes
        while !rest.isEmpty {
            if used == buffer.count { try flush() }
            let n = min(rest.count, buffer.count - used)
            UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + n]).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: rest[0..<n]))
            used += n
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws(GGUFError) {
        try rethrowingGGUFError { try bytes.withUnsafeBytes { raw in try write(raw) } }
    }

    /// Appends `values` encoded as `type` (see `GGMLType.quantize`); `values.count` must be a whole number of blocks.
    public func write(floats values: UnsafeBufferPointer<Float>, as type: GGMLType) throws(GGUFError) {
        guard let total = type.byteCount(elements: values.count) else {
            throw GGUFError(
                .badTensorInfo, path: path,
                "\(limitOwner): \(values.count) values are not a whole number of \(type) blocks of \(type.blockSize)")
        }
        try reserve(total)
        let blocksPerChunk = max(1, buffer.count / type.blockBytes)
        var start = 0
        while start < values.count {
            let elements = min(values.count - start, blocksPerChunk * type.blockSize)
            let bytes = elements / type.blockSize * type.blockBytes
            if buffer.count - used < bytes { try flush() }
            try type.quantize(
                UnsafeBufferPointer(rebasing: values[start..<start + elements]),
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[used..<used + bytes]))
            used += bytes
            start += elements
        }
    }

    /// Appends `values` encoded as `type`; `values.count` must be a whole number of blocks.
    public func write(floats values: [Float], as type: GGMLType) throws(GGUFError) {
        try rethrowingGGUFError { try values.withUnsafeBufferPointer { input in try write(floats: input, as: type) } }
    }

    /// Appends a little-endian integer.
    func writeInteger<T: FixedWidthInteger>(_ value: T) throws(GGUFError) {
        try rethrowingGGUFError { try withUnsafeBytes(of: value.littleEndian) { raw in try write(raw) } }
    }

    /// Appends `count` zero bytes.
    func writeZeros(_ count: Int) throws(GGUFError) {
        let zeros = [UInt8](repeating: 0, count: min(count, 4096))
        var left = count
        while left > 0 {
            let n = min(left, zeros.count)
            try rethrowingGGUFError {
                try zeros.withUnsafeBytes { raw in try write(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
            }
            left -= n
        }
    }

    /// Counts `n` more bytes, refusing to go past `limit`.
    private func reserve(_ n: Int) throws(GGUFError) {
        if let limit, bytesWritten + n > limit {
            throw GGUFError(
                .badTensorInfo, path: path,
                "\(limitOwner) wrote \(bytesWritten + n - limit) bytes more than its type and shape allow")
        }
        bytesWritten += n
    }

    /// Writes the buffered bytes to the file.
    func flush() throws(GGUFError) {
        var offset = 0
        while offset < used {
            let n = systemWrite(fd, buffer.baseAddress! + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw GGUFError(.writeFailed, path: path, "cannot write: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        used = 0
    }
}

/// The C library's `write(2)`, reachable from inside `GGUFDataSink` whose own `write` methods shadow it.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}

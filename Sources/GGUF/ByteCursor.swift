/// A bounds-checked little-endian reader over a byte buffer; every read past the end throws.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset: Int = 0

    var remaining: Int { bytes.count - offset }

    func fail(_ code: GGUFError.Code, _ detail: String) -> GGUFError {
        GGUFError(code, path: path, detail)
    }

    mutating func need(_ n: Int, _ what: @autoclosure () -> String) throws(GGUFError) {
        guard n >= 0, n <= remaining else {
            throw fail(
                .truncated, "truncated: \(what()) needs \(n) bytes at offset \(offset), file has \(remaining) left")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try need(MemoryLayout<T>.size, what())
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: v)
    }

    /// Reads a u64 count and checks that `count * minimumElementBytes` could still fit in the file.
    mutating func readCount(_ what: @autoclosure () -> String, minimumElementBytes: Int) throws(GGUFError) -> Int {
        let raw = try read(UInt64.self, what())
        let limit = UInt64(remaining / max(minimumElementBytes, 1))
        guard raw <= limit else {
            // A count whose elements would take under 1 TiB means the file was cut short; a larger one is absurd.
            if raw <= UInt64((1 << 40) / max(minimumElementBytes, 1)) {
                throw fail(
                    .truncated,
                    "truncated: \(what()) \(raw) at offset \(offset - 8) needs more than the \(remaining) bytes left")
            }
            throw fail(
                .absurdCount,
                "absurd \(what()) \(raw) at offset \(offset - 8): the file has only \(remaining) bytes left")
        }
        return Int(raw)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try readCount("length of \(what())", minimumElementBytes: 1)
        let start = offset
        offset += length
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + length]), as: UTF8.self)
    }
}

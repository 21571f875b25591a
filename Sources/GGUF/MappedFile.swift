#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last reference goes away.
///
/// `@unchecked Sendable`: the mapping is `PROT_READ` and never changes after `init`, so sharing the
/// pointer between threads is safe; it is released only in `deinit`, when no reference remains. The one mutable
/// field, a checksum of the page reads in `readIntoMemory`, is written only by the thread loading the file.
public final class MappedFile: @unchecked Sendable {
    /// The mapped bytes (empty for an empty file).
    public let bytes: UnsafeRawBufferPointer
    /// The path that was mapped.
    public let path: String
    /// Whether `bytes` is a heap copy (`init(copying:path:)`) rather than a mapping.
    private let isCopy: Bool

    /// Maps `path` read-only.
    public init(path: String) throws(GGUFError) {
        self.path = path
        isCopy = false
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw GGUFError(.cannotOpen, path: path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw GGUFError(.cannotOpen, path: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw GGUFError(.cannotOpen, path: path, "not a regular file")
        }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw GGUFError(.cannotOpen, path: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// A heap copy of `contents`, read as if mapped from `path`: the fuzzer and tests parse bytes without a file,
    /// and a heap buffer lets the address sanitizer see a read one byte past the end, which a mapping hides.
    public init(copying contents: UnsafeRawBufferPointer, path: String) {
        self.path = path
        isCopy = true
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: contents.count, alignment: 64)
        copy.copyMemory(from: contents)
        bytes = UnsafeRawBufferPointer(copy)
    }

    /// Reads the whole mapping into memory, `chunkBytes` at a time, and with `lock` set also locks it there
    /// (`mlock`), so the kernel cannot drop its pages while the process idles: a server whose model pages were
    /// reclaimed would read the file back from disk on its next request (seen here: proactive reclaim on the host
    /// turned a 1 s first token into 11 s after 12 s of idling). `progress` gets the bytes read so far after every
    /// chunk, so a caller can report a slow disk. Returns the error text when a lock is refused (no CAP_IPC_LOCK and
    /// a small RLIMIT_MEMLOCK); the rest of the file is then read without locking.
    @discardableResult
    public func readIntoMemory(lock: Bool, chunkBytes: Int = 64 << 20, progress: (Int) -> Void = { _ in }) -> String? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        var refusal: String?
        var locking = lock
        var offset = 0
        while offset < bytes.count {
            let length = min(chunkBytes, bytes.count - offset)
            if locking && mlock(base + offset, length) != 0 {
                refusal = String(cString: strerror(errno))
                locking = false
            }
            if !locking { touchPages(base + offset, length) }
            offset += length
            progress(offset)
        }
        return refusal
    }

    /// A running sum of one byte per page read by `touchPages`, kept so the reads cannot be optimised away.
    private var touched: UInt8 = 0

    /// Reads one byte of every page in `length` bytes at `start`, which makes the kernel load them.
    private func touchPages(_ start: UnsafeRawPointer, _ length: Int) {
        _ = madvise(UnsafeMutableRawPointer(mutating: start), length, MADV_WILLNEED)
        var sum = touched
        for page in stride(from: 0, to: length, by: 4096) { sum &+= start.load(fromByteOffset: page, as: UInt8.self) }
        touched = sum
    }

    deinit {
        if isCopy {
            UnsafeMutableRawBufferPointer(mutating: bytes).deallocate()
        } else if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What the loader found when it looked at a file named in the configuration.
enum FileProbe: Equatable {
    /// The file could be opened and these are its first bytes (up to the number asked for).
    case readable(prefix: [UInt8])
    /// Nothing exists at the path.
    case missing
    /// Something exists but cannot be read as a file; the text says why ("is a directory", the errno text).
    case unreadable(String)

    /// Opens `path` read-only and reads up to `prefixLength` bytes.
    ///
    /// Readability is tested by opening the file rather than by permission bits, because the permission bits lie for
    /// root and for ACLs.
    static func probe(_ path: String, prefixLength: Int = 0) -> FileProbe {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            return code == ENOENT || code == ENOTDIR ? .missing : .unreadable(errorText(code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            return .unreadable("is a directory")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return .unreadable(errorText(errno)) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: prefixLength)
        var filled = 0
        while filled < prefixLength {
            let count = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + filled, prefixLength - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .unreadable(errorText(errno))
            }
            if count == 0 { break }
            filled += count
        }
        return .readable(prefix: Array(buffer[0..<filled]))
    }

    private static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

extension String {
    /// This path made absolute against `directory` (when relative) and with `.`/`..` removed.
    func resolvedPath(relativeTo directory: String) -> String {
        let absolute = hasPrefix("/") ? self : (directory.hasSuffix("/") ? directory : directory + "/") + self
        return (absolute as NSString).standardizingPath
    }
}

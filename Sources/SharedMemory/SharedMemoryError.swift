/// A problem with a shared-memory segment, ring or peer; `code` is stable for callers that branch on it.
public struct SharedMemoryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem it is.
    public enum Code: String, Sendable {
        /// A system call while creating or opening the segment failed (`memfd_create`, `mmap`, …).
        case creationFailed = "creation_failed"
        /// The memory for the segment could not be reserved (`posix_fallocate` said ENOSPC, ENOMEM or EFBIG).
        case noSpace = "no_space"
        /// A size or capacity is out of range (capacities are powers of two).
        case invalidSize = "invalid_size"
        /// The segment's header is not a Batchgate header, or is not published yet.
        case badHeader = "bad_header"
        /// The segment was laid out by a different layout version.
        case versionMismatch = "version_mismatch"
        /// A record is larger than the ring can ever hold.
        case recordTooLarge = "record_too_large"
        /// A ring holds bytes that are not a valid record.
        case corruptRecord = "corrupt_record"
        /// The wait ran past its deadline.
        case timedOut = "timed_out"
        /// The other process is gone, was replaced, or stopped beating.
        case peerDied = "peer_died"
    }

    /// The kind of problem.
    public let code: Code
    /// What is wrong, in words.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}

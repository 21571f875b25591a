extension ByteRing {
    /// Appends one record, waiting on backpressure. Beats this side's heartbeat. Throws
    /// `recordTooLarge`, `timedOut` after `timeout` (`nil`: wait as long as the peer lives) or
    /// `peerDied`.
    public func write(_ bytes: UnsafeRawBufferPointer, timeout: Duration? = nil) throws {
        monitor.beat()
        if try tryWrite(bytes) { return }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        try doorbell.wait(deadline: deadline, monitor: monitor) { try self.tryWrite(bytes) }
    }

    /// Appends one record from an array; see `write(_:timeout:)`.
    public func write(_ bytes: [UInt8], timeout: Duration? = nil) throws {
        try bytes.withUnsafeBytes { try write($0, timeout: timeout) }
    }

    /// Takes one record, waiting until one arrives, and passes its bytes (valid only during the
    /// call) to `body`. Beats this side's heartbeat. Throws `timedOut` or `peerDied` (only once every
    /// record the peer published has been taken).
    public func read<R>(timeout: Duration? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        monitor.beat()
        if let result = try tryRead(body) { return result }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        var result: R?
        try doorbell.wait(deadline: deadline, monitor: monitor) {
            result = try self.tryRead(body)
            return result != nil
        }
        return result!
    }

    /// Takes one record as a fresh array; see `read(timeout:_:)`.
    public func read(timeout: Duration? = nil) throws -> [UInt8] {
        try read(timeout: timeout) { [UInt8]($0) }
    }
}

extension Duration {
    /// This span in seconds.
    @inlinable public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }

    /// This span in whole nanoseconds (truncated toward zero).
    @inlinable public var inNanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// Byte counts as log lines write them.
public enum ByteCount {
    /// `bytes` in GiB with one decimal, rounded to nearest ("20.0").
    public static func gibibytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + (1 << 29)) >> 30
        return "\(tenths / 10).\(tenths % 10)"
    }
}

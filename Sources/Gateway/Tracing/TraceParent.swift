/// A W3C Trace Context `traceparent` header value (https://www.w3.org/TR/trace-context/#traceparent-header), checked
/// by the rules a receiver must apply: lower-case hex fields of the right lengths, a trace id and a parent id that are
/// not all zeros, version `ff` refused, and a higher version than `00` read by its first four fields.
///
/// The gateway checks an incoming header with this before it hands it to the tracer, so a malformed one is ignored
/// (the request starts a new trace) and never reaches a log line.
struct TraceParent: Sendable, Equatable {
    /// The version byte, as two hex digits.
    var version: String
    /// 32 lower-case hex digits.
    var traceID: String
    /// The caller's span: 16 lower-case hex digits.
    var parentID: String
    /// The trace flags byte (bit 0: sampled).
    var flags: UInt8

    /// Whether the caller sampled its span.
    var sampled: Bool { flags & 1 == 1 }

    /// The header value, with version `00`.
    var headerValue: String {
        let hex = Array("0123456789abcdef")
        return "00-\(traceID)-\(parentID)-\(hex[Int(flags >> 4)])\(hex[Int(flags & 0xF)])"
    }

    /// Parses `value`; `nil` when it breaks any rule.
    init?(_ value: some StringProtocol) {
        let bytes = Array(value.utf8)
        guard bytes.count >= 55 else { return nil }
        let version = bytes[0..<2]
        guard Self.isHex(version), version != [0x66, 0x66] else { return nil }  // "ff" is never valid.
        let isVersionZero = version == [0x30, 0x30]
        // Version 00 is exactly 55 characters; a later version may append fields after a dash.
        if isVersionZero ? bytes.count != 55 : (bytes.count > 55 && bytes[55] != UInt8(ascii: "-")) { return nil }
        guard bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-") else {
            return nil
        }
        let trace = bytes[3..<35]
        let parent = bytes[36..<52]
        let flagBytes = bytes[53..<55]
        guard Self.isHex(trace), Self.isHex(parent), Self.isHex(flagBytes) else { return nil }
        guard trace.contains(where: { $0 != UInt8(ascii: "0") }), parent.contains(where: { $0 != UInt8(ascii: "0") })
        else { return nil }
        self.version = String(decoding: version, as: UTF8.self)
        traceID = String(decoding: trace, as: UTF8.self)
        parentID = String(decoding: parent, as: UTF8.self)
        flags = UInt8(String(decoding: flagBytes, as: UTF8.self), radix: 16)!
    }

    /// Whether every byte is a lower-case hex digit.
    private static func isHex(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}

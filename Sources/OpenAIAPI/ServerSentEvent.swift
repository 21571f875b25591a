import NIOCore

/// Server-Sent Events framing of a streamed completion: one `data:` event per JSON chunk, then `data: [DONE]`.
public enum ServerSentEvent {
    /// One event carrying `value` as JSON.
    public static func data(_ value: some JSONWritable) -> ByteBuffer {
        var writer = JSONWriter()
        writer.raw("data: ")
        writer.value(value)
        writer.raw("\n\n")
        return writer.buffer
    }

    /// The stream's last event.
    public static let done = ByteBuffer(string: "data: [DONE]\n\n")
}

import NIOCore

/// Cuts a relayed SSE body into whole events (each ending in a blank line, `\n\n`, as a Batchgate node writes
/// them), so that a proxy forwards each event as soon as it is complete and, should the peer fail, never leaves a
/// half event before the error event it adds.
struct SSEEventSplitter {
    private var pending = ByteBuffer()
    /// Whether the `data: [DONE]` event has gone by: the stream ended as it should.
    private(set) var sawDone = false

    private static let done = Array("data: [DONE]\n\n".utf8)

    /// The events that `bytes` completes, in order; the rest waits for more bytes.
    mutating func feed(_ bytes: ByteBuffer) -> [ByteBuffer] {
        var bytes = bytes
        pending.writeBuffer(&bytes)
        var events: [ByteBuffer] = []
        let view = pending.readableBytesView
        var start = view.startIndex
        var index = view.startIndex
        while index < view.endIndex {
            let next = view.index(after: index)
            if view[index] == UInt8(ascii: "\n"), next < view.endIndex, view[next] == UInt8(ascii: "\n") {
                let end = view.index(after: next)
                let event = ByteBuffer(bytes: view[start..<end])
                if event.readableBytesView.elementsEqual(Self.done) { sawDone = true }
                events.append(event)
                start = end
                index = end
            } else {
                index = next
            }
        }
        pending.moveReaderIndex(forwardBy: start - view.startIndex)
        pending.discardReadBytes()
        return events
    }

    /// Bytes of an event not yet complete.
    var pendingBytes: Int { pending.readableBytes }
}

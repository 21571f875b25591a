import LoadGenerator

extension FuzzTarget {
    /// The load generator's server-sent-event scanner: the events and the captured text of a stream do not depend
    /// on where the network cut it. The first input byte chooses the cuts; the rest is the stream.
    public static let sse = FuzzTarget(name: "sse", summary: "SSEScanner.feed, whole and in pieces") {
        bytes throws(FuzzFailure) in
        guard let first = bytes.first else { return }
        let stream = Array(bytes.dropFirst())
        var whole = SSEScanner()
        whole.capturesText = true
        let wholeEvents = whole.feed(stream)

        var pieces = SSEScanner()
        pieces.capturesText = true
        var pieceEvents: [SSEScanner.Event] = []
        let step = Int(first % 17) + 1
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + step)
            pieceEvents += pieces.feed(stream[start..<end])
            start = end
        }
        guard wholeEvents == pieceEvents else {
            throw FuzzFailure("events differ when fed \(step) bytes at a time: \(wholeEvents) vs \(pieceEvents)")
        }
        guard whole.text == pieces.text, whole.promptTokens == pieces.promptTokens,
            whole.cachedTokens == pieces.cachedTokens
        else {
            throw FuzzFailure("captured text or usage differs when fed \(step) bytes at a time")
        }
    }
}

import Foundation

/// Splits a streamed OpenAI answer (server-sent events) into events and reads from each what the load generator
/// needs, without decoding JSON: whether it carries text, the `usage.completion_tokens` of a usage chunk, the end
/// marker, and error events.
package struct SSEScanner {
    /// What one event said.
    package enum Event: Equatable {
        /// A chunk that carries text (one token for Batchgate and llama-server).
        case text
        /// A chunk without text (role, finish reason, usage); `completionTokens` when it reports usage.
        case other(completionTokens: Int?)
        /// `data: [DONE]`.
        case done
        /// An `{"error": …}` event.
        case error
    }

    private var pending: [UInt8] = []

    /// Creates a scanner with nothing pending.
    package init() {}
    /// Whether the text of the chunks is kept in `text` (a conversation resends each answer).
    package var capturesText = false
    /// The text of the chunks so far, when `capturesText`.
    package private(set) var text = ""
    /// `usage.prompt_tokens` of the last usage chunk.
    package private(set) var promptTokens: Int?
    /// `usage.prompt_tokens_details.cached_tokens` of the last usage chunk, when the server reports it.
    package private(set) var cachedTokens: Int?

    /// Feeds received bytes; returns the events completed by them, in order.
    package mutating func feed(_ bytes: some Sequence<UInt8>) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var lineStart = 0
        var consumed = 0
        var index = 0
        let count = pending.count
        while index < count {
            if pending[index] == UInt8(ascii: "\n") {
                var lineEnd = index
                if lineEnd > lineStart, pending[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                if let event = Self.classify(pending[lineStart..<lineEnd]) {
                    events.append(event)
                    if capturesText, event == .text {
                        text += Self.chunkText(pending[lineStart..<lineEnd]) ?? ""
                    }
                    if case .other(let completionTokens) = event, completionTokens != nil {
                        promptTokens = Self.integer(after: Self.promptKey, in: pending[lineStart..<lineEnd])
                        cachedTokens = Self.integer(after: Self.cachedKey, in: pending[lineStart..<lineEnd])
                    }
                }
                lineStart = index + 1
                consumed = lineStart
            }
            index += 1
        }
        if consumed > 0 { pending.removeFirst(consumed) }
        return events
    }

    private static let dataPrefix = Array("data:".utf8)
    private static let textKeys = [Array(#""text":""#.utf8), Array(#""content":""#.utf8)]
    private static let usageKey = Array(#""completion_tokens":"#.utf8)
    private static let promptKey = Array(#""prompt_tokens":"#.utf8)
    private static let cachedKey = Array(#""cached_tokens":"#.utf8)
    private static let errorKey = Array(#"{"error""#.utf8)
    private static let doneMarker = Array("[DONE]".utf8)

    /// One line of the stream: only `data:` lines make events.
    static func classify(_ line: ArraySlice<UInt8>) -> Event? {
        guard line.starts(with: dataPrefix) else { return nil }
        var payload = line.dropFirst(dataPrefix.count)
        while payload.first == UInt8(ascii: " ") { payload = payload.dropFirst() }
        if payload.elementsEqual(doneMarker) { return .done }
        if payload.starts(with: errorKey) { return .error }
        for key in textKeys {
            var from = payload.startIndex
            while let at = find(key, in: payload[from...]) {
                let next = at + key.count
                if next < payload.endIndex, payload[next] != UInt8(ascii: "\"") { return .text }
                from = next
            }
        }
        return .other(completionTokens: integer(after: usageKey, in: payload))
    }

    /// The text a `data:` line's chunk carries: `choices[0].delta.content` (chat) or `choices[0].text`.
    static func chunkText(_ line: ArraySlice<UInt8>) -> String? {
        let payload = line.dropFirst(dataPrefix.count)
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any],
            let choice = (object["choices"] as? [[String: Any]])?.first
        else { return nil }
        if let delta = choice["delta"] as? [String: Any], let content = delta["content"] as? String { return content }
        return choice["text"] as? String
    }

    /// The non-negative integer that follows `key` (spaces allowed before it) in `payload`, or nil (also when it does
    /// not fit an `Int`).
    static func integer(after key: [UInt8], in payload: ArraySlice<UInt8>) -> Int? {
        guard let at = find(key, in: payload) else { return nil }
        var value = 0
        var digits = 0
        for byte in payload[(at + key.count)...] {
            if byte == UInt8(ascii: " ") && digits == 0 { continue }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            // A number past Int is no count a server meant (and used to trap here; found by the fuzzer).
            let (tens, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = tens.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            value = sum
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// The index where `needle` first starts in `haystack`.
    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var index = haystack.startIndex
        let last = haystack.endIndex - needle.count
        while index <= last {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

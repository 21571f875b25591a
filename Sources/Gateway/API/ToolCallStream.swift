import Grammar

/// Reads a chat answer that may call tools, piece by piece as it streams, into text and calls.
///
/// In `tagged` mode the answer is text until `<tool_call>`; each call is a JSON object `{"name": …, "arguments":
/// …}` (Llama's `"parameters"` is read too), ended by its closing brace and an optional `</tool_call>`. In `bare`
/// mode (Llama 3.1) an answer whose first non-blank character is `{` is calls, separated by `;`, and any other answer
/// is text. In `forced` mode the whole answer is one call object, without tags (its grammar wrote it). A call written in that order
/// streams: its name as soon as it is complete, then its arguments as they come. A call in another order is read
/// whole when it ends. Text that might be the start of `<tool_call>` is held back until it is known not to be. Without
/// `parallel`, the answer ends for the reader after its first call.
struct ToolCallStream {
    /// What the answer says so far.
    enum Output: Equatable {
        /// Text for the message's content.
        case text(String)
        /// Call `index` begins: its function's name.
        case callStart(index: Int, name: String)
        /// More of call `index`'s arguments (JSON text).
        case arguments(index: Int, String)
    }

    private enum State {
        /// Bare mode, before the answer's first non-blank character (or the next call's).
        case opening
        /// Outside any call: text, watching for the opening tag (in tagged mode).
        case text
        /// Inside a call's object; `streaming` once its name has been sent (its arguments follow as they come).
        case call(streaming: Bool)
        /// After a call's object: skipping its closing tag and blank space.
        case afterCall
    }

    static let openTag = "<tool_call>"
    static let closeTag = "</tool_call>"

    private let forced: Bool
    private let bare: Bool
    /// Whether calls after the first are kept (`parallel_tool_calls`).
    private let parallel: Bool
    private var state: State
    /// Bytes not yet decided.
    private var pending: [UInt8] = []
    /// Calls started so far.
    private(set) var calls = 0
    /// Where the arguments value of a streaming call has got to.
    private var nesting = JSONNesting()

    /// A reader for `mode`.
    init(mode: ToolCalling.Mode, parallel: Bool = true) {
        forced = mode == .forced
        bare = mode == .bare
        self.parallel = parallel
        switch mode {
        case .forced: state = .call(streaming: false)
        case .bare: state = .opening
        case .tagged: state = .text
        }
    }

    /// Reads `text`, the next piece of the answer.
    mutating func feed(_ text: String) -> [Output] {
        pending += Array(text.utf8)
        var out: [Output] = []
        while step(&out, final: false) {}
        return Self.merged(out)
    }

    /// The answer has ended: whatever is still held, as text (an unfinished call read whole is given as text when it
    /// cannot be read).
    mutating func finish() -> [Output] {
        var out: [Output] = []
        while step(&out, final: true) {}
        if !pending.isEmpty {
            let rest = String(decoding: pending, as: UTF8.self)
            switch state {
            case .call(streaming: false):
                if let call = Self.wholeCall(pending) {
                    start(call.name, &out)
                    out.append(.arguments(index: calls - 1, call.arguments))
                } else {
                    out.append(.text(forced ? rest : Self.openTag + rest))
                }
            case .call(streaming: true): out.append(.arguments(index: calls - 1, rest))
            case .text where calls > 0 && pending.allSatisfy(Self.isBlank): break
            case .text: out.append(.text(rest))
            case .opening: if calls == 0 { out.append(.text(rest)) }
            case .afterCall: break
            }
            pending.removeAll()
        }
        return Self.merged(out)
    }

    private mutating func start(_ name: String, _ out: inout [Output]) {
        out.append(.callStart(index: calls, name: name))
        calls += 1
    }

    /// One move; false when nothing more can be decided without more text.
    private mutating func step(_ out: inout [Output], final: Bool) -> Bool {
        switch state {
        case .opening:
            guard let first = pending.firstIndex(where: { !Self.isBlank($0) }) else { return false }
            if pending[first] == UInt8(ascii: "{") {
                pending.removeFirst(first)
                state = .call(streaming: false)
            } else {
                state = .text
            }
            return true
        case .text where bare:
            out.append(.text(String(decoding: pending, as: UTF8.self)))
            pending.removeAll()
            return false
        case .text:
            let tag = Array(Self.openTag.utf8)
            if let at = Self.find(tag, in: pending) {
                // Blank space before a call is not part of the answer's text.
                let text = Self.trimmingTrailingBlanks(pending[..<at])
                if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
                pending.removeFirst(at + tag.count)
                state = .call(streaming: false)
                return true
            }
            // Send all but a tail that could begin the tag, and but trailing blank space (which a call may follow).
            var keep = min(pending.count, tag.count - 1)
            while keep > 0 && !tag.starts(with: pending[(pending.count - keep)...]) { keep -= 1 }
            let text = Self.trimmingTrailingBlanks(pending[..<(pending.count - keep)])
            if !text.isEmpty {
                out.append(.text(String(decoding: text, as: UTF8.self)))
                pending.removeFirst(text.count)
            }
            return false
        case .call(streaming: false):
            switch Self.callHead(pending) {
            case .head(let name, let length):
                start(name, &out)
                pending.removeFirst(length)
                nesting = JSONNesting()
                state = .call(streaming: true)
                return true
            case .needMore:
                return false
            case .otherOrder:
                // Read whole once the object closes.
                guard let end = Self.objectEnd(pending) else { return false }
                if let call = Self.wholeCall(Array(pending[..<end])) {
                    start(call.name, &out)
                    out.append(.arguments(index: calls - 1, call.arguments))
                } else {
                    out.append(.text(String(decoding: pending[..<end], as: UTF8.self)))
                }
                pending.removeFirst(end)
                state = .afterCall
                return true
            }
        case .call(streaming: true):
            // Stream the arguments value up to its end.
            var index = 0
            var ended = false
            while index < pending.count {
                let byte = pending[index]
                index += 1
                if nesting.closes(after: byte) {
                    ended = true
                    break
                }
            }
            // Hold back an incomplete UTF-8 sequence at the end.
            var sendable = index
            if !ended {
                var back = 0
                while back < min(3, sendable) && (pending[sendable - 1 - back] & 0xC0) == 0x80 { back += 1 }
                if back < sendable && pending[sendable - 1 - back] >= 0xC0 {
                    let lead = pending[sendable - 1 - back]
                    let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
                    if back + 1 < length { sendable -= back + 1 }
                }
            }
            if sendable > 0 {
                out.append(.arguments(index: calls - 1, String(decoding: pending[..<sendable], as: UTF8.self)))
                pending.removeFirst(sendable)
            }
            if ended {
                state = .afterCall
                return true
            }
            return false
        case .afterCall:
            // The call object's closing brace, blank space and the closing tag (or, bare, the `;` between calls) are
            // not part of the answer.
            var index = 0
            while index < pending.count,
                pending[index] == UInt8(ascii: "}") || Self.isBlank(pending[index])
                    || (bare && pending[index] == UInt8(ascii: ";"))
            {
                index += 1
            }
            if !parallel {
                pending.removeAll()  // one call only: the rest of the answer is not read
                return false
            }
            if bare {
                pending.removeFirst(index)
                guard !pending.isEmpty else { return false }
                state = .opening
                return true
            }
            let close = Array(Self.closeTag.utf8)
            let rest = pending[index...]
            if rest.starts(with: close) {
                pending.removeFirst(index + close.count)
                if !forced { state = .text }
                return true
            }
            if !final && close.starts(with: rest) {
                pending.removeFirst(index)
                return false  // maybe the closing tag, not yet complete
            }
            pending.removeFirst(index)
            if forced {
                pending.removeAll()
                return false
            }
            state = .text
            return !pending.isEmpty
        }
    }

    /// What the start of a call object holds.
    enum Head: Equatable {
        /// `{"name": "…", "arguments": ` complete: the name, and the bytes it takes.
        case head(name: String, length: Int)
        /// So far a prefix of that form.
        case needMore
        /// Not that form (keys in another order, other keys).
        case otherOrder
    }

    /// Reads `{"name": "NAME", "arguments": ` (or `"parameters"`) at the start of `bytes`, blank space allowed.
    static func callHead(_ bytes: [UInt8]) -> Head {
        var at = 0
        func blank() { while at < bytes.count && isBlank(bytes[at]) { at += 1 } }
        /// nil: matched; else needMore or otherOrder.
        func literal(_ text: String) -> Head? {
            for byte in text.utf8 {
                guard at < bytes.count else { return .needMore }
                guard bytes[at] == byte else { return .otherOrder }
                at += 1
            }
            return nil
        }
        blank()
        if let miss = literal("{") { return miss }
        blank()
        if let miss = literal("\"name\"") { return miss }
        blank()
        if let miss = literal(":") { return miss }
        blank()
        if let miss = literal("\"") { return miss }
        let nameStart = at - 1
        var escaped = false
        while true {
            guard at < bytes.count else { return .needMore }
            let byte = bytes[at]
            at += 1
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                break
            }
        }
        guard
            case .string(let name)? = try? SchemaValue(parsing: String(decoding: bytes[nameStart..<at], as: UTF8.self))
        else { return .otherOrder }
        blank()
        if let miss = literal(",") { return miss }
        blank()
        let rest = bytes[at...]
        guard let key = ["\"arguments\"", "\"parameters\""].first(where: { rest.starts(with: $0.utf8) }) else {
            let prefix = ["\"arguments\"", "\"parameters\""].contains { $0.utf8.starts(with: rest) }
            return prefix ? .needMore : .otherOrder
        }
        at += key.utf8.count
        blank()
        if let miss = literal(":") { return miss }
        blank()
        guard at < bytes.count else { return .needMore }
        guard bytes[at] == UInt8(ascii: "{") else { return .otherOrder }
        return .head(name: name, length: at)
    }

    /// The end (one past the closing brace) of the JSON object at the start of `bytes`, once it is complete.
    static func objectEnd(_ bytes: [UInt8]) -> Int? {
        var nesting = JSONNesting()
        for (index, byte) in bytes.enumerated() where nesting.closes(after: byte) { return index + 1 }
        return nil
    }

    /// A whole call object: its name and its arguments as JSON text (`{}` when it has none).
    static func wholeCall(_ bytes: [UInt8]) -> (name: String, arguments: String)? {
        guard case .object(let members)? = try? SchemaValue(parsing: String(decoding: bytes, as: UTF8.self)),
            case .string(let name)? = members.first(where: { $0.key == "name" })?.value
        else { return nil }
        let arguments = members.first { $0.key == "arguments" || $0.key == "parameters" }?.value
        if case .string(let text)? = arguments { return (name, text) }  // arguments already written as a string
        return (name, arguments?.jsonText ?? "{}")
    }

    static func trimmingTrailingBlanks(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var end = bytes.endIndex
        while end > bytes.startIndex && isBlank(bytes[end - 1]) { end -= 1 }
        return bytes[..<end]
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    /// `outputs` with neighbouring texts, and neighbouring argument pieces of one call, joined.
    static func merged(_ outputs: [Output]) -> [Output] {
        var result: [Output] = []
        for output in outputs {
            switch (result.last, output) {
            case (.text(let a)?, .text(let b)): result[result.count - 1] = .text(a + b)
            case (.arguments(let i, let a)?, .arguments(let j, let b)) where i == j:
                result[result.count - 1] = .arguments(index: i, a + b)
            default: result.append(output)
            }
        }
        return result.filter { $0 != .text("") }
    }
}

/// Follows the nesting of JSON text byte by byte (objects and arrays, strings and their escapes), to find where
/// the value that began at the first byte ends.
struct JSONNesting {
    private var depth = 0
    private var inString = false
    private var escaped = false

    /// Reads `byte`; true when it closes the outermost object or array.
    mutating func closes(after byte: UInt8) -> Bool {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
            depth += 1
        } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
            depth -= 1
            return depth == 0
        }
        return false
    }
}

import Foundation

extension OpenAIRequest {
    /// Reads a request body, turning every JSON problem into an error that names the field at fault.
    ///
    /// A plain body is read by `JSONScanner` and `init?(scanned:)`, several times faster than `JSONDecoder`
    /// (which was the largest cost of a small request); anything else — every body with an error among them — is
    /// read by `JSONDecoder`, which words the error.
    /// `chat` words the errors of fields whose type differs between the two routes (`logprobs`).
    public static func read(_ body: some Collection<UInt8>, chat: Bool = false) throws(OpenAIRequestError)
        -> OpenAIRequest
    {
        let scanned = body.withContiguousStorageIfAvailable { bytes in JSONScanner.parse(bytes) }
        if let document = scanned ?? nil, var request = OpenAIRequest(scanned: document) {
            try request.readStructuredFields(document) { nil }
            return request
        }
        return try readWithFoundation(body, chat: chat)
    }

    /// The `JSONDecoder` user-info key that is true for a chat request.
    static let chatKey = CodingUserInfoKey(rawValue: "batchgate.chat")!

    /// Reads a request body with `JSONDecoder`, the reference reading of every body and the source of every
    /// error message.
    /// Text that is not JSON (checked by `JSONSyntaxCheck` first, as `JSONDecoder` also calls numbers out of range
    /// "not valid JSON") is `invalid_json`; JSON that does not fit the request is `invalid_request` naming the field.
    public static func readWithFoundation(_ body: some Collection<UInt8>, chat: Bool = false)
        throws(OpenAIRequestError) -> OpenAIRequest
    {
        let data = Data(body)
        guard !data.isEmpty else {
            throw OpenAIRequestError(.invalidJSON, "the request body is empty; send a JSON object")
        }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw OpenAIRequestError(.invalidJSON, "the request body is not valid UTF-8")
        }
        let numbers: [String: String]
        switch JSONSyntaxCheck.check(body) {
        case .invalid(let reason, let offset):
            throw OpenAIRequestError(.invalidJSON, "the request body is not valid JSON: \(reason) (at byte \(offset))")
        case .valid(let topLevelNumbers):
            numbers = topLevelNumbers
        }
        do {
            let decoder = JSONDecoder()
            decoder.userInfo[chatKey] = chat
            var request = try decoder.decode(OpenAIRequest.self, from: data)
            let document = data.withUnsafeBytes { JSONScanner.parse($0.bindMemory(to: UInt8.self)) }
            try request.readStructuredFields(document) {
                (try? decoder.decode(StructuredFieldPresence.self, from: data))?.first
            }
            return request
        } catch let error as OpenAIRequestError {
            throw error
        } catch let error as DecodingError {
            let refusal = OpenAIRequestError(decoding: error)
            // Valid JSON that JSONDecoder calls invalid: a number that does not fit its field.
            if refusal.code == .invalidJSON { throw OpenAIRequestError(outOfRange: numbers) }
            throw refusal
        } catch {
            throw OpenAIRequestError(.invalidJSON, "the request body is not valid JSON: \(error)")
        }
    }
}

extension OpenAIRequestError {
    /// The error for a `DecodingError`: the JSON path of the field and what was expected.
    public init(decoding error: DecodingError) {
        func path(_ context: DecodingError.Context) -> String? {
            let keys = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            guard !keys.isEmpty else { return nil }
            return keys.reduce("") { sum, key in key.hasPrefix("[") || sum.isEmpty ? sum + key : sum + "." + key }
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context) ?? "body"
            let expected =
                context.debugDescription.hasPrefix("must") ? context.debugDescription : "must be \(Self.name(of: type))"
            self.init(.invalidRequest, "'\(field)' \(expected)", param: path(context))
        case .valueNotFound(let type, let context):
            let field = path(context) ?? "body"
            self.init(.invalidRequest, "'\(field)' must be \(Self.name(of: type)), not null", param: path(context))
        case .keyNotFound(let key, let context):
            let parent = path(context)
            let field = parent.map { "\($0).\(key.stringValue)" } ?? key.stringValue
            self.init(.invalidRequest, "'\(field)' is required", param: field)
        case .dataCorrupted(let context):
            if let field = path(context) {
                self.init(.invalidRequest, "'\(field)': \(context.debugDescription)", param: field)
            } else {
                self.init(.invalidJSON, "the request body is not valid JSON (or not UTF-8): \(Self.reason(context))")
            }
        @unknown default:
            self.init(.invalidJSON, "the request body could not be read: \(error)")
        }
    }

    /// The error for a valid body with a top-level number its field cannot hold: a fraction where a whole number
    /// belongs, or a number past the field's range.
    init(outOfRange numbers: [String: String]) {
        let whole = ["max_tokens", "max_completion_tokens", "seed", "top_k", "n", "top_logprobs", "logprobs"]
        let real = ["temperature", "top_p", "min_p", "presence_penalty", "frequency_penalty", "repetition_penalty"]
        for field in whole + real {
            guard let text = numbers[field] else { continue }
            let value = Double(text)
            let finite = value.map { $0.isFinite } ?? false
            if real.contains(field) {
                guard finite else {
                    self.init(.invalidRequest, "'\(field)' is out of range, found \(text)", param: field)
                    return
                }
                continue
            }
            if Int64(text) != nil { continue }
            if let value, finite, value.rounded() == value, Int64(exactly: value) != nil { continue }
            let message =
                finite && value.map({ $0.rounded() != $0 }) == true
                ? "'\(field)' must be an integer, found \(text)" : "'\(field)' is out of range, found \(text)"
            self.init(.invalidRequest, message, param: field)
            return
        }
        self.init(.invalidRequest, "a number in the request body is out of range")
    }

    private static func reason(_ context: DecodingError.Context) -> String {
        if let underlying = context.underlyingError { return "\(underlying)" }
        return context.debugDescription
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default: type == [String: Any].self ? "an object" : "of type \(type)"
        }
    }
}

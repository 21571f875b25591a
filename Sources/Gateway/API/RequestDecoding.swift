import Foundation

extension OpenAIRequest {
    /// Decodes a request body, turning every JSON problem into a 400 that names the field at fault.
    ///
    /// A plain body is read by `JSONScanner` and `init?(scanned:)`, several times faster than `JSONDecoder`
    /// (which was the largest cost of a small request); anything else — every body with an error among them — is
    /// read by `JSONDecoder`, which words the error.
    public static func decode(_ body: some Collection<UInt8>) throws(GatewayError) -> OpenAIRequest {
        let scanned = body.withContiguousStorageIfAvailable { bytes in JSONScanner.parse(bytes) }
        if let document = scanned ?? nil, let request = OpenAIRequest(scanned: document) { return request }
        return try decodeWithFoundation(body)
    }

    /// Decodes a request body with `JSONDecoder`, the reference reading of every body and the source of every
    /// error message.
    static func decodeWithFoundation(_ body: some Collection<UInt8>) throws(GatewayError) -> OpenAIRequest {
        let data = Data(body)
        guard !data.isEmpty else { throw GatewayError(.invalidJSON, "the request body is empty; send a JSON object") }
        guard String(validating: body, as: UTF8.self) != nil else {
            throw GatewayError(.invalidJSON, "the request body is not valid UTF-8")
        }
        do {
            return try JSONDecoder().decode(OpenAIRequest.self, from: data)
        } catch let error as DecodingError {
            throw GatewayError(decoding: error)
        } catch {
            throw GatewayError(.invalidJSON, "the request body is not valid JSON: \(error)")
        }
    }
}

extension GatewayError {
    /// The 400 for a `DecodingError`: the JSON path of the field and what was expected.
    init(decoding error: DecodingError) {
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

import OpenAIAPI

extension OpenAIRequest {
    /// Decodes a request body (`OpenAIRequest.read`), every problem a 400 that names the field at fault.
    public static func decode(_ body: some Collection<UInt8>, chat: Bool = false) throws(GatewayError) -> OpenAIRequest
    {
        do {
            return try read(body, chat: chat)
        } catch {
            throw GatewayError(error)
        }
    }

    /// Decodes a request body with `JSONDecoder` only (`OpenAIRequest.readWithFoundation`), the reference reading.
    static func decodeWithFoundation(_ body: some Collection<UInt8>, chat: Bool = false) throws(GatewayError)
        -> OpenAIRequest
    {
        do {
            return try readWithFoundation(body, chat: chat)
        } catch {
            throw GatewayError(error)
        }
    }
}

extension GatewayError {
    /// The 400 for a body that is not an OpenAI request.
    init(_ error: OpenAIRequestError) {
        switch error.code {
        case .invalidJSON: self.init(.invalidJSON, error.message, param: error.param)
        case .invalidRequest: self.init(.invalidRequest, error.message, param: error.param)
        }
    }
}

extension ErrorBody {
    /// The body for `error`.
    public init(_ error: GatewayError) {
        self.init(message: error.message, type: error.type, param: error.param, code: error.codeLabel)
    }
}

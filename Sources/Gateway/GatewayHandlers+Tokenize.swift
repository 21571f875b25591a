import BatchgateConfig
import Foundation
import Hummingbird
import NIOCore
import OpenAIAPI

extension GatewayHandlers {
    /// `POST /tokenize` body: a prompt or chat messages for a model.
    struct TokenizeRequest: Decodable {
        var model: String?
        var prompt: String?
        var messages: [OpenAIRequest.Message]?
        var addSpecial: Bool?
        enum CodingKeys: String, CodingKey {
            case model, prompt, messages
            case addSpecial = "add_special_tokens"
        }
    }

    /// `POST /tokenize` answer.
    struct TokenizeResponse: Encodable {
        var tokens: [Int32]
        var count: Int
        var maxModelLength: Int
        enum CodingKeys: String, CodingKey {
            case tokens, count
            case maxModelLength = "max_model_len"
        }
    }

    /// The `model` field of a body, read before the rest (to route it).
    struct ModelField: Decodable {
        var model: String?
    }

    /// `POST /detokenize` body and answer.
    struct DetokenizeRequest: Decodable {
        var model: String?
        var tokens: [Int32]
    }
    struct DetokenizeResponse: Encodable {
        var prompt: String
    }

    /// `/tokenize` (text or chat messages to ids, as the model would see them) and `/detokenize` (ids to text).
    func tokenization(_ path: String, body: ByteBuffer, key: BatchgateConfiguration.APIKey) throws -> Response {
        let data = Data(body.readableBytesView)
        do {
            if path == "/tokenize" {
                let request = try JSONDecoder().decode(TokenizeRequest.self, from: data)
                let model = try self.model(named: request.model, for: key)
                let tokens: [Int32]
                if let messages = request.messages {
                    var body = OpenAIRequest()
                    body.messages = messages
                    tokens = try GenerationPlan.promptTokens(body, kind: .chat, model: model)
                } else if let prompt = request.prompt {
                    tokens = model.tokenizer.encode(prompt, addSpecial: request.addSpecial ?? true, parseSpecial: false)
                } else {
                    throw GatewayError(.invalidRequest, "'prompt' or 'messages' is required", param: "prompt")
                }
                return try Self.json(
                    encoding:
                        TokenizeResponse(tokens: tokens, count: tokens.count, maxModelLength: model.contextLength))
            }
            let request = try JSONDecoder().decode(DetokenizeRequest.self, from: data)
            let model = try self.model(named: request.model, for: key)
            let vocabulary = Int32(model.tokenizer.vocabularySize)
            if let bad = request.tokens.firstIndex(where: { $0 < 0 || $0 >= vocabulary }) {
                throw GatewayError(
                    .invalidRequest, "'tokens[\(bad)]' is not a token id in 0..<\(vocabulary)", param: "tokens")
            }
            return try Self.json(encoding: DetokenizeResponse(prompt: try model.tokenizer.decode(request.tokens)))
        } catch let error as DecodingError {
            throw GatewayError(OpenAIRequestError(decoding: error))
        }
    }
}

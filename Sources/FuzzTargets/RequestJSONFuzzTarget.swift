import OpenAIAPI

extension FuzzTarget {
    /// The request body readers: `OpenAIRequest.read` (the fast `JSONScanner` path, falling back to `JSONDecoder`)
    /// must give what `readWithFoundation` (the reference, `JSONDecoder` alone) gives, for chat and completion
    /// bodies: the same request, or a refusal of the same kind.
    public static let requestJSON = FuzzTarget(
        name: "request-json", summary: "OpenAIRequest.read against readWithFoundation"
    ) { bytes throws(FuzzFailure) in
        // An array, as the gateway passes: `read` takes the fast path only for contiguous storage, which a raw buffer
        // does not offer.
        let body = Array(bytes)
        for chat in [false, true] {
            let fast = Result { () throws(OpenAIRequestError) in try OpenAIRequest.read(body, chat: chat) }
            let reference = Result { () throws(OpenAIRequestError) in
                try OpenAIRequest.readWithFoundation(body, chat: chat)
            }
            switch (fast, reference) {
            case (.success(let fast), .success(let reference)):
                guard fast == reference else {
                    throw FuzzFailure("chat \(chat): the readings differ:\n\(fast)\nJSONDecoder:\n\(reference)")
                }
            case (.failure(let fast), .failure(let reference)):
                guard fast.code == reference.code else {
                    throw FuzzFailure("chat \(chat): refused differently: \(fast) / JSONDecoder: \(reference)")
                }
            case (.success(let fast), .failure(let reference)):
                throw FuzzFailure(
                    "chat \(chat): only the fast path reads the body: \(fast) / JSONDecoder: \(reference)")
            case (.failure(let fast), .success(let reference)):
                throw FuzzFailure("chat \(chat): only JSONDecoder reads the body: \(reference) / fast path: \(fast)")
            }
        }
    }
}

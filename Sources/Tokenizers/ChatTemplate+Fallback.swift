extension ChatTemplate {
    /// The family rendered when a model's file has no chat template, or one Batchgate does not recognise, and its
    /// configuration names none: ChatML, as llama.cpp's server falls back to (ggml-org/llama.cpp#5628 for templates
    /// it does not support, #11616 for Jinja templates it cannot parse).
    public static let fallbackFamily: Family = .chatml

    /// The template a model will use and, when it is the fallback, the warning to log once at startup.
    public struct Choice: Sendable, Equatable {
        /// The template to render chats with.
        public let template: ChatTemplate
        /// One line naming the model file and the fallback family; nil when the model's own template was
        /// recognised or a family was configured.
        public let warning: String?

        /// True when `template` is the fallback rather than the model's own format.
        public var isFallback: Bool { warning != nil }
    }

    /// Like `resolve(configured:vocabulary:)`, except that a missing or unrecognised template gives
    /// `fallbackFamily` with a warning instead of an error. An unknown configured family name still throws
    /// `unknownChatTemplateFamily`: that is a configuration mistake, not a model's.
    public static func choose(configured: String?, vocabulary: Vocabulary) throws(TokenizerError) -> Choice {
        if let configured, configured != "auto" {
            return Choice(template: try resolve(configured: configured, vocabulary: vocabulary), warning: nil)
        }
        if let detected = detect(vocabulary.chatTemplate) { return Choice(template: detected, warning: nil) }
        return Choice(
            template: ChatTemplate(family: fallbackFamily),
            warning: fallbackWarning(template: vocabulary.chatTemplate, path: vocabulary.path))
    }

    /// The one-line warning for a model whose `template` (nil when the file has none) is not recognised.
    public static func fallbackWarning(template: String?, path: String?) -> String {
        let file = path.map { "\($0): " } ?? ""
        let what: String
        if let template, !template.isEmpty {
            var start = String(template.prefix(48)).replacingNewlines()
            if template.count > 48 { start += "…" }
            let known = Family.allCases.map(\.rawValue).joined(separator: ", ")
            what = "chat template not recognised (not one of \(known); it starts \"\(start)\")"
        } else {
            what = "the file has no chat template"
        }
        return "\(file)\(what); rendering chats as '\(fallbackFamily.rawValue)', which may not be the format the "
            + "model was trained on; set chat_template in the model's configuration to choose"
    }
}

extension String {
    /// The text with line breaks shown as `\n`, so that it stays on one log line.
    fileprivate func replacingNewlines() -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

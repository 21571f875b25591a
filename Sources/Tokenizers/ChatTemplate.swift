/// The chat formats Batchgate renders itself, matching llama.cpp's built-in `llm_chat_apply_template`
/// followed by tokenization with `add_special` and `parse_special`.
///
/// Detection looks for these markers in `tokenizer.chat_template`, in this order (as llama.cpp does):
/// - ChatML (Qwen, Yi chat): `<|im_start|>` (but not Phi-4's `<|im_sep|>` or SmolVLM's `<end_of_utterance>`).
/// - Mistral v7: `[INST]` and `[SYSTEM_PROMPT]` (the `-tekken` variant only by name, as in llama.cpp).
/// - Mistral v1/v3/v3-tekken: `[INST]` and `' [INST] ' + system_message` or `[AVAILABLE_TOOLS]`; v1 when the
///   template has ` [INST]`, v3-tekken when it has `"[INST]"`, else v3.
/// - Llama 2: any other `[INST]` template (or one whose text starts with "mistral");
///   `<<SYS>>` means system messages are wrapped in `<<SYS>>…<</SYS>>`, `bos_token + '[INST]` puts `<s>` before
///   later turns, `content.strip()` trims messages.
/// - Llama 3: `<|start_header_id|>` and `<|end_header_id|>`; Llama 3.1 and later templates also open every
///   conversation with a system block giving the knowledge cutoff and the date (`llama3Preamble`).
/// Any other template is not recognised: `detect` returns nil and the model must name a family in its configuration
/// (or take `choose`'s fallback).
///
/// Beyond llama.cpp's built-in formats, a detected ChatML template keeps the model's default system prompt (see
/// `defaultSystemPrompt`), as the model's own Jinja template renders it.
public struct ChatTemplate: Sendable, Equatable {
    /// A template family; raw values are the names accepted in configuration.
    public enum Family: String, Sendable, CaseIterable {
        /// `<|im_start|>role\ncontent<|im_end|>\n`.
        case chatml
        /// `[INST] <<SYS>>\nsystem\n<</SYS>>\n\nuser [/INST]assistant</s>`.
        case llama2
        /// `<|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>`.
        case llama3
        /// ` [INST] system\n\nuser [/INST] assistant</s>` (Mistral 7B v0.1, tokenizer v1).
        case mistralV1 = "mistral-v1"
        /// `[INST] system\n\nuser[/INST] assistant</s>` (tokenizer v3; replies trimmed).
        case mistralV3 = "mistral-v3"
        /// `[INST]system\n\nuser[/INST]assistant</s>` (Mistral Nemo, tokenizer v3-tekken).
        case mistralV3Tekken = "mistral-v3-tekken"
        /// `[SYSTEM_PROMPT] system[/SYSTEM_PROMPT][INST] user[/INST] assistant</s>` (Mistral Large 2411).
        case mistralV7 = "mistral-v7"
        /// `[SYSTEM_PROMPT]system[/SYSTEM_PROMPT][INST]user[/INST]assistant</s>` (Mistral Small 3.1).
        case mistralV7Tekken = "mistral-v7-tekken"
    }

    /// The family.
    public let family: Family
    /// Llama 2: system messages get `<<SYS>>` (otherwise they are prefixed to the first turn as plain lines).
    public let llama2WrapsSystem: Bool
    /// Llama 2: later turns start with `<s>[INST] ` rather than `[INST] `.
    public let llama2BOSInHistory: Bool
    /// Llama 2: message contents are trimmed of surrounding whitespace, and replies are written as Llama-2-chat's own
    /// template writes them, ` reply </s>`.
    public let llama2TrimsContent: Bool
    /// ChatML: the system message the model's own template adds when a conversation does not start with one
    /// (SmolLM2's "You are a helpful AI assistant named SmolLM, trained by Hugging Face"); nil when it adds none.
    public let defaultSystemPrompt: String?
    /// Llama 3.1 and later: the system block with the knowledge cutoff and date that opens every conversation, as
    /// the model's own template writes it; nil for Llama 3.0 and for a family forced in configuration.
    public let llama3Preamble: Llama3Preamble?

    /// A forced family, without a default system prompt. `llama2` uses the `<<SYS>>` system block (llama.cpp's
    /// `llama2-sys`).
    public init(family: Family) {
        self.init(family: family, defaultSystemPrompt: nil)
    }

    /// A forced family whose conversations get `defaultSystemPrompt` as their system message when they do not start
    /// with one (ChatML only; other families ignore it).
    public init(family: Family, defaultSystemPrompt: String?) {
        self.family = family
        llama2WrapsSystem = true
        llama2BOSInHistory = false
        llama2TrimsContent = false
        self.defaultSystemPrompt = family == .chatml ? defaultSystemPrompt : nil
        llama3Preamble = nil
    }

    /// A Llama 3 template that opens every conversation with `preamble`.
    init(llama3Preamble preamble: Llama3Preamble?) {
        family = .llama3
        llama2WrapsSystem = true
        llama2BOSInHistory = false
        llama2TrimsContent = false
        defaultSystemPrompt = nil
        llama3Preamble = preamble
    }

    init(family: Family, wrapsSystem: Bool, bosInHistory: Bool, trims: Bool) {
        self.family = family
        llama2WrapsSystem = wrapsSystem
        llama2BOSInHistory = bosInHistory
        llama2TrimsContent = trims
        defaultSystemPrompt = nil
        llama3Preamble = nil
    }

    /// Recognises a Jinja template by its markers; nil when it is none of the supported families.
    public static func detect(_ template: String?) -> ChatTemplate? {
        guard let template, !template.isEmpty else { return nil }
        if let family = Family(rawValue: template) { return ChatTemplate(family: family) }
        func has(_ marker: String) -> Bool { template.contains(marker) }
        if has("<|im_start|>") {
            if has("<|im_sep|>") || has("<end_of_utterance>") { return nil }
            return ChatTemplate(family: .chatml, defaultSystemPrompt: chatMLDefaultSystemPrompt(template))
        }
        if template.hasPrefix("mistral") || has("[INST]") {
            if has("[SYSTEM_PROMPT]") { return ChatTemplate(family: .mistralV7) }
            if has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]") {
                if has(" [INST]") { return ChatTemplate(family: .mistralV1) }
                return ChatTemplate(family: has("\"[INST]\"") ? .mistralV3Tekken : .mistralV3)
            }
            let trims = has("content.strip()")
            let bos = has("bos_token + '[INST]")
            return ChatTemplate(
                family: .llama2, wrapsSystem: has("<<SYS>>") || trims || bos, bosInHistory: bos, trims: trims)
        }
        if has("<|start_header_id|>") && has("<|end_header_id|>") {
            return ChatTemplate(llama3Preamble: llama3Preamble(template))
        }
        return nil
    }

    /// The template for a model: `configured` is a family name, or "auto"/nil to detect from `vocabulary`.
    public static func resolve(configured: String?, vocabulary: Vocabulary) throws(TokenizerError) -> ChatTemplate {
        if let configured, configured != "auto" {
            guard let family = Family(rawValue: configured) else {
                throw TokenizerError(
                    .unknownChatTemplateFamily, path: vocabulary.path,
                    "chat_template '\(configured)' is not one of auto, "
                        + Family.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return ChatTemplate(family: family)
        }
        guard let detected = detect(vocabulary.chatTemplate) else { throw notRecognised(vocabulary.path) }
        return detected
    }

    static func notRecognised(_ path: String?) -> TokenizerError {
        TokenizerError(
            .unrecognisedChatTemplate, path: path,
            "chat template not recognised; set chat_template in the model's configuration to one of "
                + Family.allCases.map(\.rawValue).joined(separator: ", "))
    }

    /// Renders `messages` to token ids: scaffolding is tokenized with special tokens parsed, message contents
    /// without, and BOS is added when the vocabulary asks for it. `addGenerationPrompt` opens the assistant's turn
    /// (Llama 2 needs nothing: its turn starts after `[/INST]`). A ChatML conversation that does not start with a
    /// system message gets `defaultSystemPrompt` first, when there is one. Throws `unknownRole` for a role other
    /// than system, user and assistant.
    public func render(
        messages: [ChatMessage], tools: [ChatTool] = [], addGenerationPrompt: Bool = true, tokenizer: Tokenizer
    ) throws(TokenizerError) -> [Int32] {
        tokenizer.encode(
            segments: try segments(messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt),
            addSpecial: true)
    }

    /// The rendered text as segments (scaffolding with `parseSpecial`, contents without). `tools`, `tool` messages
    /// and assistant tool calls need a family that writes them (`writesTools`).
    public func segments(messages: [ChatMessage], tools: [ChatTool] = [], addGenerationPrompt: Bool = true)
        throws(TokenizerError) -> [Tokenizer.Segment]
    {
        var out: [Tokenizer.Segment] = []
        func scaffold(_ text: String) { out.append(Tokenizer.Segment(text, parseSpecial: true)) }
        func content(_ text: String) { out.append(Tokenizer.Segment(text, parseSpecial: false)) }
        let roles: [ChatMessage.Role] =
            writesTools ? [.system, .user, .assistant, .tool] : [.system, .user, .assistant]
        for message in messages where !roles.contains(message.role) {
            throw TokenizerError(
                .unknownRole,
                "unknown chat role '\(message.role)' (expected \(roles.map(\.rawValue).joined(separator: ", ")))")
        }
        if !writesTools && (!tools.isEmpty || messages.contains { !$0.toolCalls.isEmpty }) {
            throw TokenizerError(.unknownRole, "the \(family.rawValue) chat format has no way to write tools")
        }
        switch family {
        case .chatml where !tools.isEmpty || messages.contains(where: { $0.role == .tool || !$0.toolCalls.isEmpty }):
            chatMLWithTools(messages: messages, tools: tools, scaffold: scaffold, content: content)
            if addGenerationPrompt { scaffold("<|im_start|>assistant\n") }
        case .chatml:
            var messages = messages
            if let defaultSystemPrompt, let first = messages.first, first.role != .system {
                messages.insert(ChatMessage(role: .system, content: defaultSystemPrompt), at: 0)
            }
            for message in messages {
                scaffold("<|im_start|>")
                content(message.role.rawValue)
                scaffold("\n")
                content(message.content)
                scaffold("<|im_end|>\n")
            }
            if addGenerationPrompt { scaffold("<|im_start|>assistant\n") }
        case .llama2:
            var insideTurn = true
            scaffold("[INST] ")
            var afterSystem = false
            for message in messages {
                var text = message.content
                if llama2TrimsContent {
                    // Llama-2-chat's template strips each turn's content as a whole, and a system block is part of
                    // the first turn's: the system text keeps its spaces, the user text after it loses only its
                    // trailing ones.
                    switch message.role {
                    case .system: break
                    case .user where afterSystem: text = Self.trimASCIISpace(text, leading: false)
                    default: text = Self.trimASCIISpace(text)
                    }
                }
                afterSystem = message.role == .system
                if !insideTurn {
                    insideTurn = true
                    scaffold(llama2BOSInHistory ? "<s>[INST] " : "[INST] ")
                }
                switch message.role {
                case .system:
                    if llama2WrapsSystem {
                        scaffold("<<SYS>>\n")
                        content(text)
                        scaffold("\n<</SYS>>\n\n")
                    } else {
                        content(text)
                        scaffold("\n")
                    }
                case .user:
                    content(text)
                    scaffold(" [/INST]")
                default:
                    // Llama-2-chat's own template: ' ' + reply.strip() + ' ' + eos_token.
                    if llama2TrimsContent { scaffold(" ") }
                    content(text)
                    scaffold(llama2TrimsContent ? " </s>" : "</s>")
                    insideTurn = false
                }
            }
        case .mistralV7, .mistralV7Tekken:
            let space = family == .mistralV7 ? " " : ""
            for message in messages {
                switch message.role {
                case .system:
                    scaffold("[SYSTEM_PROMPT]" + space)
                    content(message.content)
                    scaffold("[/SYSTEM_PROMPT]")
                case .user:
                    scaffold("[INST]" + space)
                    content(message.content)
                    scaffold("[/INST]")
                default:
                    scaffold(space)
                    content(message.content)
                    scaffold("</s>")
                }
            }
        case .mistralV1, .mistralV3, .mistralV3Tekken:
            let leading = family == .mistralV1 ? " " : ""
            let trailing = family == .mistralV3Tekken ? "" : " "
            var insideTurn = false
            for message in messages {
                if !insideTurn {
                    scaffold(leading + "[INST]" + trailing)
                    insideTurn = true
                }
                switch message.role {
                case .system:
                    content(message.content)
                    scaffold("\n\n")
                case .user:
                    content(message.content)
                    scaffold(leading + "[/INST]")
                default:
                    scaffold(trailing)
                    content(family == .mistralV3 ? Self.trimASCIISpace(message.content) : message.content)
                    scaffold("</s>")
                    insideTurn = false
                }
            }
        case .llama3
        where llama3Preamble != nil
            && (!tools.isEmpty || messages.contains(where: { $0.role == .tool || !$0.toolCalls.isEmpty })):
            try llama3WithTools(
                messages: messages, tools: tools, preamble: llama3Preamble!, scaffold: scaffold, content: content)
            if addGenerationPrompt { scaffold("<|start_header_id|>assistant<|end_header_id|>\n\n") }
        case .llama3:
            var messages = messages[...]
            if let llama3Preamble {
                scaffold("<|start_header_id|>system<|end_header_id|>\n\n")
                content(llama3Preamble.text())
                if let first = messages.first, first.role == .system {
                    content(Self.trimASCIISpace(first.content))
                    messages = messages.dropFirst()
                }
                scaffold("<|eot_id|>")
            }
            for message in messages {
                scaffold("<|start_header_id|>")
                content(message.role.rawValue)
                scaffold("<|end_header_id|>\n\n")
                content(Self.trimASCIISpace(message.content))
                scaffold("<|eot_id|>")
            }
            if addGenerationPrompt { scaffold("<|start_header_id|>assistant<|end_header_id|>\n\n") }
        }
        return out
    }

    /// The ids that end the assistant's turn for this family: `<|im_end|>`, `<|eot_id|>` or EOS, plus EOS.
    public func stopTokens(for tokenizer: Tokenizer) -> [Int32] {
        var ids: [Int32] = []
        let marker: String? =
            switch family {
            case .chatml: "<|im_end|>"
            case .llama3: "<|eot_id|>"
            case .llama2, .mistralV1, .mistralV3, .mistralV3Tekken, .mistralV7, .mistralV7Tekken: nil
            }
        if let marker, let id = tokenizer.id(forText: marker) { ids.append(id) }
        if let eos = tokenizer.eos, !ids.contains(eos) { ids.append(eos) }
        return ids
    }

    /// Trims the characters C's `isspace` accepts, as llama.cpp's `trim` does (only at the end unless `leading`).
    static func trimASCIISpace(_ text: String, leading: Bool = true) -> String {
        let utf8 = Array(text.utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var start = 0
        var end = utf8.count
        while leading && start < end && isSpace(utf8[start]) { start += 1 }
        while end > start && isSpace(utf8[end - 1]) { end -= 1 }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }
}

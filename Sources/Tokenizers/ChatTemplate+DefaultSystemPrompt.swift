extension ChatTemplate {
    /// The system text a ChatML Jinja template writes when a conversation does not open with a system message:
    /// SmolLM2's "You are a helpful AI assistant named SmolLM, trained by Hugging Face", Qwen2.5's "You are Qwen,
    /// created by Alibaba Cloud. You are a helpful assistant.", Qwen1.5's and Qwen2's "You are a helpful assistant".
    ///
    /// Found when the template prints exactly one distinct constant `<|im_start|>system\n…<|im_end|>` block (one
    /// string literal, or literals joined by `+`) and compares `messages[0]`'s role with "system" (the condition
    /// under which such templates print it). Anything else gives nil: a system block built from variables, several
    /// different constant blocks, or a constant block printed without looking at the first message.
    static func chatMLDefaultSystemPrompt(_ template: String) -> String? {
        let opening = "<|im_start|>system\n"
        var found: Set<String> = []
        for constant in JinjaConstants.printedConstants(template) where constant.hasPrefix(opening) {
            var body = constant.dropFirst(opening.count)
            if body.hasSuffix("\n") { body = body.dropLast() }
            guard body.hasSuffix("<|im_end|>") else { continue }
            body = body.dropLast("<|im_end|>".count)
            guard !body.contains("<|im_start|>"), !body.contains("<|im_end|>") else { continue }
            found.insert(String(body))
        }
        guard found.count == 1, JinjaConstants.checksFirstMessageIsSystem(template) else { return nil }
        return found.first
    }
}

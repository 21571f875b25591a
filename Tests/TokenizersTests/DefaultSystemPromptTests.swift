import GGUF
import Testing

@testable import Tokenizers

@Suite("Default system prompts and the fallback template")
struct DefaultSystemPromptTests {
    static let loop =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'}}"
        + "{% endfor %}"

    @Test(
        "A constant ChatML system block printed under a first-message check is the default",
        arguments: [
            // Double quotes, literals joined by +, whitespace control, `.role`.
            (
                "{%- if messages[0].role != \"system\" -%}{{- \"<|im_start|>system\\n\" + \"Be kind.\" + \"<|im_end|>\\n\" -}}"
                    + "{%- endif %}", "Be kind."
            ),
            // Escaped quote and a real newline inside the literal.
            (
                "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nIt\\'s me<|im_end|>\n' }}{% endif %}",
                "It's me"
            ),
            // The else branch of an == check, as Qwen2.5 does.
            (
                "{% if messages[0][\"role\"] == \"system\" %}{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
                    + "{% else %}{{ '<|im_start|>system\\nDefault \\u00e9t\\u00e9.<|im_end|>\\n' }}{% endif %}",
                "Default été."
            ),
        ])
    func detected(prefix: String, expected: String) {
        let template = ChatTemplate.detect(prefix + Self.loop)
        #expect(template?.family == .chatml)
        #expect(template?.defaultSystemPrompt == expected)
    }

    @Test(
        "No default without a first-message check, with two different blocks, or with a variable block",
        arguments: [
            "{{ '<|im_start|>system\\nAlways here<|im_end|>\\n' }}",
            "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nA<|im_end|>\\n' }}{% else %}"
                + "{{ '<|im_start|>system\\nB<|im_end|>\\n' }}{% endif %}",
            "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n' + default_system + '<|im_end|>\\n' }}"
                + "{% endif %}",
            "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\n' }}{% endif %}",
        ])
    func notDetected(prefix: String) {
        let template = ChatTemplate.detect(prefix + Self.loop)
        #expect(template?.family == .chatml)
        #expect(template?.defaultSystemPrompt == nil)
    }

    @Test("The default is added only when the conversation does not open with a system message")
    func rendering() throws {
        let template = ChatTemplate(family: .chatml, defaultSystemPrompt: "Be kind.")
        let userFirst = try template.segments(
            messages: [.init(role: .user, content: "Hi"), .init(role: .system, content: "Late")],
            addGenerationPrompt: false
        ).map(\.text).joined()
        #expect(
            userFirst
                == "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>system\nLate<|im_end|>\n")
        let systemFirst = try template.segments(
            messages: [.init(role: .system, content: "Mine"), .init(role: .user, content: "Hi")],
            addGenerationPrompt: false
        ).map(\.text).joined()
        #expect(!systemFirst.contains("Be kind."))
        #expect(
            try template.segments(messages: [], addGenerationPrompt: true).map(\.text) == ["<|im_start|>assistant\n"])
        #expect(ChatTemplate(family: .chatml).defaultSystemPrompt == nil)
        #expect(ChatTemplate(family: .llama3, defaultSystemPrompt: "ignored").defaultSystemPrompt == nil)
    }

    static func vocabulary(template: String?) throws -> Vocabulary {
        var metadata = GGUFMetadata()
        metadata["tokenizer.ggml.model"] = .string("gpt2")
        metadata["tokenizer.ggml.pre"] = .string("gpt-2")
        metadata["tokenizer.ggml.tokens"] = .array(elementType: .string, values: [.string("a"), .string("b")])
        metadata["tokenizer.ggml.merges"] = .array(elementType: .string, values: [])
        if let template { metadata["tokenizer.chat_template"] = .string(template) }
        return try Vocabulary(metadata: metadata, path: "/models/m.gguf")
    }

    @Test("An unrecognised template falls back to ChatML with a one-line warning naming the file and the family")
    func fallback() throws {
        let vocabulary = try Self.vocabulary(
            template: "{% for m in messages %}\n<start_of_turn>{{ m.content }}{% endfor %}")
        let choice = try ChatTemplate.choose(configured: "auto", vocabulary: vocabulary)
        #expect(choice.isFallback)
        #expect(choice.template == ChatTemplate(family: .chatml))
        #expect(ChatTemplate.fallbackFamily == .chatml)
        let warning = try #require(choice.warning)
        #expect(warning.hasPrefix("/models/m.gguf: chat template not recognised"))
        #expect(warning.contains("'chatml'"))
        #expect(warning.contains("<start_of_turn>"))
        #expect(warning.contains("not one of chatml, llama2, llama3, mistral-v1, "), "\(warning)")
        #expect(!warning.contains("\n"))
        #expect(
            try ChatTemplate.choose(configured: nil, vocabulary: Self.vocabulary(template: nil)).warning
                == "/models/m.gguf: the file has no chat template; rendering chats as 'chatml', which may not be the "
                + "format the model was trained on; set chat_template in the model's configuration to choose")
    }

    @Test("A recognised or configured template is chosen without a warning; an unknown family name still throws")
    func noFallback() throws {
        let smolLM = try SmolLM.tokenizer().vocabulary
        let choice = try ChatTemplate.choose(configured: "auto", vocabulary: smolLM)
        #expect(choice.warning == nil)
        #expect(choice.template == ChatTemplate.detect(smolLM.chatTemplate))
        let unknown = try Self.vocabulary(template: "<start_of_turn>")
        #expect(try ChatTemplate.choose(configured: "llama3", vocabulary: unknown).warning == nil)
        #expect {
            try ChatTemplate.choose(configured: "vicuna", vocabulary: unknown)
        } throws: { ($0 as? TokenizerError)?.code == .unknownChatTemplateFamily }
    }
}

import Foundation
import Testing

@testable import Tokenizers

/// Detection and rendering against llama.cpp's own `llama_chat_apply_template`
/// (`Golden/llama-chat-templates.json`, written by `scripts/make-chat-template-golden.py`).
@Suite("Built-in chat formats against llama.cpp")
struct LlamaChatFormatTests {
    struct Golden: Decodable {
        struct Message: Decodable {
            let role: String
            let content: String
        }
        struct Conversation: Decodable {
            let messages: [Message]
            let add_generation_prompt: Bool
        }
        struct Template: Decodable {
            let name: String
            let template: String
            /// llama.cpp's prompt per conversation; nil when llama.cpp does not recognise the template.
            let texts: [String?]
        }
        let conversations: [Conversation]
        let templates: [Template]
    }

    static let golden: Golden? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Golden/llama-chat-templates.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try? JSONDecoder().decode(Golden.self, from: data)
    }()

    static let names: [String] = golden?.templates.map(\.name) ?? []

    @Test("The golden file is readable and covers every family")
    func covers() throws {
        let golden = try #require(Self.golden, "Golden/llama-chat-templates.json is missing or unreadable")
        let families = Set(golden.templates.compactMap { ChatTemplate.detect($0.template)?.family })
        #expect(families == Set(ChatTemplate.Family.allCases))
    }

    @Test("Detects the template and renders the text llama.cpp renders", arguments: names)
    func matches(name: String) throws {
        let golden = try #require(Self.golden)
        let entry = try #require(golden.templates.first { $0.name == name })
        let detected = ChatTemplate.detect(entry.template)
        guard entry.texts.allSatisfy({ $0 != nil }) else {
            #expect(entry.texts.allSatisfy { $0 == nil })
            #expect(
                detected == nil,
                "llama.cpp does not recognise \(name); Batchgate detected \(String(describing: detected))")
            return
        }
        let template = try #require(detected, "\(name): llama.cpp recognises it, Batchgate does not")
        for (conversation, expected) in zip(golden.conversations, entry.texts) {
            let messages = conversation.messages.map {
                ChatMessage(role: .init(rawValue: $0.role), content: $0.content)
            }
            let text = try template.segments(
                messages: messages, addGenerationPrompt: conversation.add_generation_prompt
            ).map(\.text).joined()
            #expect(text == expected, "\(name) (\(template.family.rawValue))")
        }
    }
}

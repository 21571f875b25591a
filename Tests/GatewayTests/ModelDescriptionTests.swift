import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Gateway
import Testing
import Tokenizers

/// What the gateway reads of a model file before serving it.
@Suite("Model description")
struct ModelDescriptionTests {
    @Test("A file without a chat template Batchgate knows falls back to ChatML, with a warning naming the file")
    func unrecognisedTemplateFallsBack() throws {
        let path = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let description = try ModelDescription(BatchgateConfiguration.Model(name: "tiny", path: path))
        #expect(description.chatTemplate?.family == .chatml)
        let warning = try #require(description.chatTemplateWarning)
        #expect(warning.contains(path))
        #expect(warning.contains("chatml"))
        // A configured family is taken as it is, without a warning.
        let configured = try ModelDescription(
            BatchgateConfiguration.Model(name: "tiny", path: path, chatTemplate: .llama2))
        #expect(configured.chatTemplate?.family == .llama2)
        #expect(configured.chatTemplateWarning == nil)
    }

    @Test("SmolLM2's own template is ChatML with its default system prompt, and its context comes from the file")
    func smolLM2() throws {
        let description = try ModelDescription(
            BatchgateConfiguration.Model(name: "smol", path: try WorkerSupport.smolLM2()))
        #expect(description.chatTemplateWarning == nil)
        #expect(description.chatTemplate?.family == .chatml)
        #expect(
            description.chatTemplate?.defaultSystemPrompt
                == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(description.contextLength == 8192)
        #expect(description.tokenizer.vocabularySize == 49152)
    }

    @Test("chat_template offers exactly the families the tokenizers render, and a configured one is used")
    func configurableFamilies() throws {
        let configurable = Set(BatchgateConfiguration.ChatTemplate.allCases.map(\.rawValue)).subtracting(["auto"])
        #expect(configurable == Set(ChatTemplate.Family.allCases.map(\.rawValue)))
        let path = try WorkerSupport.tinyModel()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let mistral = try ModelDescription(
            BatchgateConfiguration.Model(name: "tiny", path: path, chatTemplate: .mistralV7))
        #expect(mistral.chatTemplate?.family == .mistralV7)
    }
}

import Foundation
import Testing

@testable import Tokenizers

/// Batchgate's rendering of each family against the model's own Jinja template rendered by Python's jinja2.
@Suite("Chat templates against the models' Jinja templates")
struct JinjaTemplateTests {
    /// A model whose published template Batchgate recognises.
    struct Model: Sendable, CustomTestStringConvertible {
        let name: String
        let family: ChatTemplate.Family
        let defaultSystemPrompt: String?
        let template: @Sendable () throws -> String
        let tokenizer: @Sendable () throws -> Tokenizer
        var testDescription: String { name }
    }

    static let models: [Model] = [
        Model(
            name: "SmolLM2-135M-Instruct (real file)", family: .chatml,
            defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face",
            template: { try #require(try SmolLM.tokenizer().vocabulary.chatTemplate) },
            tokenizer: { try SmolLM.tokenizer() }),
        Model(
            name: "Qwen1.5 (qwen2 fixture)", family: .chatml, defaultSystemPrompt: "You are a helpful assistant",
            template: { try #require(try Fixtures.tokenizer("qwen2").vocabulary.chatTemplate) },
            tokenizer: { try Fixtures.tokenizer("qwen2") }),
        Model(
            name: "Qwen2.5-Instruct", family: .chatml,
            defaultSystemPrompt: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
            template: { RealTemplates.qwen25Instruct }, tokenizer: { try Fixtures.tokenizer("qwen2") }),
        Model(
            name: "Llama-2-chat", family: .llama2, defaultSystemPrompt: nil,
            template: { RealTemplates.llama2Chat }, tokenizer: { try Fixtures.tokenizer("llama-spm") }),
        Model(
            name: "Meta-Llama-3-Instruct", family: .llama3, defaultSystemPrompt: nil,
            template: { RealTemplates.llama3Instruct }, tokenizer: { try Fixtures.tokenizer("llama-bpe") }),
        Model(
            name: "Llama-3.1-Instruct", family: .llama3, defaultSystemPrompt: nil,
            template: { RealTemplates.llama31Instruct }, tokenizer: { try Fixtures.tokenizer("llama-bpe") }),
        Model(
            name: "Llama-3.2-Instruct", family: .llama3, defaultSystemPrompt: nil,
            template: { RealTemplates.llama32Instruct }, tokenizer: { try Fixtures.tokenizer("llama-bpe") }),
    ]

    static let conversations: [JinjaRenderer.Conversation] = [
        .init(name: "user only", messages: [.init(role: .user, content: "Hello!")], addGenerationPrompt: true),
        .init(
            name: "system + user",
            messages: [.init(role: .system, content: "You are terse."), .init(role: .user, content: "Hello!")],
            addGenerationPrompt: true),
        .init(
            name: "multi-turn",
            messages: [
                .init(role: .user, content: "What is 2+2?"), .init(role: .assistant, content: "4."),
                .init(role: .user, content: "And 3+3?"),
            ], addGenerationPrompt: true),
        .init(
            name: "multi-turn with system",
            messages: [
                .init(role: .system, content: "Answer in French."), .init(role: .user, content: "Hi"),
                .init(role: .assistant, content: "Salut !"), .init(role: .user, content: "Bye\nnow"),
            ], addGenerationPrompt: true),
        .init(
            name: "padded contents",
            messages: [.init(role: .system, content: "  Be brief.\n"), .init(role: .user, content: " Hi there  ")],
            addGenerationPrompt: true),
        .init(
            name: "no generation prompt", messages: [.init(role: .user, content: "No generation prompt")],
            addGenerationPrompt: false),
    ]

    @Test("Detects the family and default system prompt, and renders the template's text", arguments: models)
    func matchesJinja(model: Model) throws {
        let source = try model.template()
        let template = try #require(ChatTemplate.detect(source), "\(model.name): template not recognised")
        #expect(template.family == model.family)
        #expect(template.defaultSystemPrompt == model.defaultSystemPrompt)
        let tokenizer = try model.tokenizer()
        let bos = tokenizer.bos.flatMap(tokenizer.tokenText) ?? ""
        let eos = tokenizer.eos.flatMap(tokenizer.tokenText) ?? ""
        let rendered = try JinjaRenderer.render(
            template: source, bosToken: bos, eosToken: eos, conversations: Self.conversations)
        try #require(rendered.count == Self.conversations.count)
        for (conversation, expected) in zip(Self.conversations, rendered) {
            let segments = try template.segments(
                messages: conversation.messages, addGenerationPrompt: conversation.addGenerationPrompt)
            let text = (tokenizer.vocabulary.addBOS ? bos : "") + segments.map(\.text).joined()
            let ids = try template.render(
                messages: conversation.messages, addGenerationPrompt: conversation.addGenerationPrompt,
                tokenizer: tokenizer)
            #expect(text == expected, "\(model.name), \(conversation.name)")
            #expect(
                ids == tokenizer.encode(expected, addSpecial: false, parseSpecial: true),
                "\(model.name), \(conversation.name): ids differ from the template text's")
        }
    }

    /// Conversations with tools, tool calls and tool results.
    static let toolConversations: [JinjaRenderer.Conversation] = {
        let weather =
            #"{"type": "function", "function": {"name": "get_weather", "description": "Weather \"now\" in a city", "#
            + #""parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "#
            + #""integer", "minimum": 1}}, "required": ["city"]}}}"#
        let noop = #"{"type": "function", "function": {"name": "noop", "parameters": {}}}"#
        let call = ChatToolCall(name: "get_weather", arguments: #"{"city": "Paris", "days": 2}"#)
        return [
            .init(
                name: "tools, user only", messages: [.init(role: .user, content: "Weather in Paris?")],
                addGenerationPrompt: true, tools: [weather, noop]),
            .init(
                name: "tools with a system message",
                messages: [.init(role: .system, content: "Be terse."), .init(role: .user, content: "Hi")],
                addGenerationPrompt: true, tools: [weather]),
            .init(
                name: "a call, two results, an answer",
                messages: [
                    .init(role: .user, content: "Weather?"),
                    .init(role: .assistant, content: "", toolCalls: [call, .init(name: "noop", arguments: "{}")]),
                    .init(role: .tool, content: "Sunny"), .init(role: .tool, content: "done"),
                    .init(role: .assistant, content: "It is sunny."), .init(role: .user, content: "Thanks"),
                ], addGenerationPrompt: true, tools: [weather, noop]),
            .init(
                name: "a call with text, without tools",
                messages: [
                    .init(role: .user, content: "Weather?"),
                    .init(role: .assistant, content: "Checking.", toolCalls: [call]),
                    .init(role: .tool, content: "Rain"),
                ], addGenerationPrompt: false),
        ]
    }()

    @Test("Qwen2.5's tool format: tools, calls and results render as its template renders them")
    func qwenTools() throws {
        let template = try #require(ChatTemplate.detect(RealTemplates.qwen25Instruct))
        let tokenizer = try Fixtures.tokenizer("qwen2")
        let rendered = try JinjaRenderer.render(
            template: RealTemplates.qwen25Instruct, bosToken: "", eosToken: "<|im_end|>",
            conversations: Self.toolConversations)
        for (conversation, expected) in zip(Self.toolConversations, rendered) {
            let tools = conversation.tools.enumerated().map { ChatTool(name: "tool\($0.offset)", json: $0.element) }
            let segments = try template.segments(
                messages: conversation.messages, tools: tools, addGenerationPrompt: conversation.addGenerationPrompt)
            #expect(segments.map(\.text).joined() == expected, "\(conversation.name)")
            let ids = try template.render(
                messages: conversation.messages, tools: tools,
                addGenerationPrompt: conversation.addGenerationPrompt, tokenizer: tokenizer)
            #expect(ids == tokenizer.encode(expected, addSpecial: false, parseSpecial: true), "\(conversation.name)")
        }
    }

    /// The two tools of `toolConversations` as `json.dumps(indent=4)` writes them (Llama 3.1's `tojson(indent=4)`).
    static let indentedTools = [
        """
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather \\"now\\" in a city",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {
                            "type": "string"
                        },
                        "days": {
                            "type": "integer",
                            "minimum": 1
                        }
                    },
                    "required": [
                        "city"
                    ]
                }
            }
        }
        """,
        """
        {
            "type": "function",
            "function": {
                "name": "noop",
                "parameters": {}
            }
        }
        """,
    ]

    @Test("Llama 3.1's tool format: tools in the first user message, calls as JSON, results as ipython turns")
    func llamaTools() throws {
        let template = try #require(ChatTemplate.detect(RealTemplates.llama31Instruct))
        #expect(template.toolCallStyle == .bareJSON)
        let tokenizer = try Fixtures.tokenizer("llama-bpe")
        // Llama 3.1 writes one call per assistant message.
        let conversations =
            Self.toolConversations.filter { $0.name != "a call, two results, an answer" } + [
                .init(
                    name: "one call, its result, an answer",
                    messages: [
                        .init(role: .user, content: "Weather?"),
                        .init(
                            role: .assistant, content: "",
                            toolCalls: [.init(name: "get_weather", arguments: #"{"city": "Paris"}"#)]),
                        .init(role: .tool, content: "Sunny \"and\" warm\n"), .init(role: .assistant, content: "Sunny."),
                        .init(role: .user, content: "Thanks"),
                    ], addGenerationPrompt: true, tools: Self.toolConversations[0].tools)
            ]
        let bos = tokenizer.bos.flatMap(tokenizer.tokenText) ?? ""
        let rendered = try JinjaRenderer.render(
            template: RealTemplates.llama31Instruct, bosToken: bos, eosToken: "", conversations: conversations)
        for (conversation, expected) in zip(conversations, rendered) {
            let tools = conversation.tools.enumerated().map {
                ChatTool(name: "tool\($0.offset)", json: $0.element, indentedJSON: Self.indentedTools[$0.offset])
            }
            let segments = try template.segments(
                messages: conversation.messages, tools: tools, addGenerationPrompt: conversation.addGenerationPrompt)
            #expect(bos + segments.map(\.text).joined() == expected, "\(conversation.name)")
            let ids = try template.render(
                messages: conversation.messages, tools: tools,
                addGenerationPrompt: conversation.addGenerationPrompt, tokenizer: tokenizer)
            #expect(ids == tokenizer.encode(expected, addSpecial: false, parseSpecial: true), "\(conversation.name)")
        }
    }

    @Test("Formats without a tool format refuse tools and tool messages rather than drop them")
    func toolsRefused() {
        #expect(throws: TokenizerError.self) {
            try ChatTemplate(family: .llama3).segments(
                messages: [.init(role: .user, content: "x")], tools: [ChatTool(name: "f", json: "{}")])
        }
        #expect(throws: TokenizerError.self) {
            try ChatTemplate(family: .llama2).segments(messages: [.init(role: .tool, content: "x")])
        }
    }

    @Test("Llama 3.1 and 3.2 templates open with the knowledge cutoff and their date: fixed, or today's")
    func llama3Preamble() throws {
        let fixed = try #require(ChatTemplate.detect(RealTemplates.llama31Instruct)?.llama3Preamble)
        #expect(fixed == .init(knowledgeCutoff: "December 2023", date: .fixed("26 Jul 2024")))
        let today = try #require(ChatTemplate.detect(RealTemplates.llama32Instruct)?.llama3Preamble)
        #expect(today.date == .today)
        let day = Date(timeIntervalSince1970: 1_722_000_000)  // 26 Jul 2024, 13:20 UTC
        #expect(today.text(now: day).hasPrefix("Cutting Knowledge Date: December 2023\nToday Date: "))
        #expect(today.text(now: day).hasSuffix(" 2024\n\n"))
        #expect(ChatTemplate.detect(RealTemplates.llama3Instruct)?.llama3Preamble == nil, "Llama 3.0 has none")
        #expect(ChatTemplate(family: .llama3).llama3Preamble == nil, "a forced family has none")
    }

    @Test("SmolLM2 chats give the ids llama-cpp-python's chat completion gives")
    func smolLMChatIDs() throws {
        let golden = try SmolLM.requireGolden()
        let tokenizer = try SmolLM.tokenizer()
        let template = try ChatTemplate.resolve(configured: "auto", vocabulary: tokenizer.vocabulary)
        try #require(golden.chats.count >= 5)
        for chat in golden.chats {
            let messages = chat.messages.map { ChatMessage(role: .init(rawValue: $0.role), content: $0.content) }
            let ids = try template.render(
                messages: messages, addGenerationPrompt: chat.add_generation_prompt, tokenizer: tokenizer)
            #expect(ids == chat.ids, "\(String(reflecting: chat.text))")
        }
    }
}

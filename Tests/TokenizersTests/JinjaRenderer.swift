import Foundation
import Testing

@testable import Tokenizers

/// Renders chat templates with Python's jinja2 through `scripts/render-chat-template.py`.
enum JinjaRenderer {
    /// `$BATCHGATE_PYTHON`, else `<package root>/.venv/bin/python` (`make venv` installs jinja2 there).
    static var python: String {
        let environment = ProcessInfo.processInfo.environment["BATCHGATE_PYTHON"] ?? ""
        return environment.isEmpty ? SmolLM.packageRoot.appendingPathComponent(".venv/bin/python").path : environment
    }

    /// One conversation to render.
    struct Conversation: Sendable, CustomTestStringConvertible {
        let name: String
        let messages: [ChatMessage]
        let addGenerationPrompt: Bool
        /// The tools offered, each as JSON text (the script reads them, keeping their keys' order).
        var tools: [String] = []
        var testDescription: String { name }
    }

    /// The rendered text of each conversation; fails the test (never skips it) without a python that has jinja2.
    static func render(
        template: String, bosToken: String, eosToken: String, conversations: [Conversation]
    ) throws -> [String] {
        try #require(FileManager.default.isExecutableFile(atPath: python), "no \(python): run `make venv`")
        let request: [String: Any] = [
            "template": template, "bos_token": bosToken, "eos_token": eosToken,
            "conversations": conversations.map { conversation in
                [
                    "messages": conversation.messages.map { message -> [String: Any] in
                        var entry: [String: Any] = ["role": message.role.rawValue, "content": message.content]
                        if !message.toolCalls.isEmpty {
                            // Arguments as JSON text; the script reads them into objects, as transformers expects.
                            entry["tool_calls"] = message.toolCalls.map {
                                ["type": "function", "function": ["name": $0.name, "arguments": $0.arguments]]
                            }
                        }
                        return entry
                    },
                    "add_generation_prompt": conversation.addGenerationPrompt,
                    "tools": conversation.tools,
                ] as [String: Any]
            },
        ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [SmolLM.packageRoot.appendingPathComponent("scripts/render-chat-template.py").path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "render-chat-template.py failed: \(problems)")
        let reply = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rendered = try #require(reply["rendered"] as? [Any])
        return try rendered.map { item in
            try #require(item as? String, "the template refused the conversation: \(item)")
        }
    }
}

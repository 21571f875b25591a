extension ChatTemplate {
    /// Whether the family writes tools, tool results and tool calls: ChatML, in Qwen2.5's layout (which the
    /// Hermes-style `<tool_call>` convention follows; Batchgate uses it for every ChatML model, SmolLM2 included).
    public var writesTools: Bool { family == .chatml }

    /// The tool-call instructions Qwen2.5's template writes after the system text, before the tools.
    static let chatMLToolsHeading =
        "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with "
        + "function signatures within <tools></tools> XML tags:\n<tools>"
    /// What follows the tools in the system message.
    static let chatMLToolsTail =
        "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
        + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
        + "<args-json-object>}\n</tool_call><|im_end|>\n"

    /// A ChatML conversation with tools, as Qwen2.5-Instruct's template writes it: with tools, one system message
    /// holds the conversation's system text (or the default one), the tool-call instructions and each tool's JSON;
    /// an assistant message's calls follow its text as `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>`;
    /// consecutive `tool` messages share one user turn, each in `<tool_response>` tags.
    func chatMLWithTools(
        messages: [ChatMessage], tools: [ChatTool], scaffold: (String) -> Void, content: (String) -> Void
    ) {
        var messages = messages[...]
        if !tools.isEmpty {
            scaffold("<|im_start|>system\n")
            if let first = messages.first, first.role == .system {
                content(first.content)
                scaffold("\n\n")
                messages = messages.dropFirst()
            } else if let defaultSystemPrompt {
                content(defaultSystemPrompt)
                scaffold("\n\n")
            }
            scaffold(Self.chatMLToolsHeading)
            for tool in tools {
                scaffold("\n")
                content(tool.json)
            }
            scaffold(Self.chatMLToolsTail)
        } else if let first = messages.first, first.role != .system, let defaultSystemPrompt {
            scaffold("<|im_start|>system\n")
            content(defaultSystemPrompt)
            scaffold("<|im_end|>\n")
        }
        var previous: ChatMessage.Role?
        for (index, message) in zip(messages.indices, messages) {
            defer { previous = message.role }
            if message.role == .tool {
                if previous != .tool {
                    scaffold("<|im_start|>")
                    content("user")
                }
                scaffold("\n<tool_response>\n")
                content(message.content)
                scaffold("\n</tool_response>")
                if index == messages.index(before: messages.endIndex) || messages[index + 1].role != .tool {
                    scaffold("<|im_end|>\n")
                }
                continue
            }
            scaffold("<|im_start|>")
            content(message.role.rawValue)
            if message.role != .assistant || message.toolCalls.isEmpty {
                scaffold("\n")
                content(message.content)
            } else {
                if !message.content.isEmpty {
                    scaffold("\n")
                    content(message.content)
                }
                for call in message.toolCalls {
                    scaffold("\n<tool_call>\n")
                    content("{\"name\": \"\(call.name)\", \"arguments\": \(call.arguments)}")
                    scaffold("\n</tool_call>")
                }
            }
            scaffold("<|im_end|>\n")
        }
    }
}

extension ChatTemplate {
    /// How a model writes a call of a tool.
    public enum ToolCallStyle: Sendable, Equatable {
        /// `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`, anywhere in its answer (Qwen2.5, Hermes).
        case tagged
        /// The whole answer is `{"name": …, "parameters": {…}}` (Llama 3.1 and later).
        case bareJSON
    }

    /// How the family writes tools, tool results and tool calls; nil when it writes none. ChatML in Qwen2.5's layout
    /// (the Hermes-style `<tool_call>` convention; Batchgate uses it for every ChatML model, SmolLM2 included);
    /// Llama 3.1 and later (a Llama 3 template with the dated system block) as their templates do.
    public var toolCallStyle: ToolCallStyle? {
        switch family {
        case .chatml: .tagged
        case .llama3 where llama3Preamble != nil: .bareJSON
        default: nil
        }
    }

    /// Whether the family writes tools, tool results and tool calls.
    public var writesTools: Bool { toolCallStyle != nil }

    /// Llama 3.1's instructions before the tools, in the first user message.
    static let llama3ToolsHeading =
        "Given the following functions, please respond with a JSON for a function call with its proper arguments "
        + "that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": "
        + "dictionary of argument name and its value}.Do not use variables.\n\n"

    /// A Llama 3.1 conversation with tools, as its template writes it (tools in the first user message, the
    /// template's default): the system block says `Environment: ipython` when there are tools; the first message
    /// after the system one (trimmed) follows the instructions and each tool's JSON (`tojson(indent=4)`); an
    /// assistant message with a call is `{"name": …, "parameters": …}` (one call per message, as the template
    /// allows); a tool result is an `ipython` turn whose content is written as a JSON string, as the template's
    /// `content | tojson` writes text.
    func llama3WithTools(
        messages: [ChatMessage], tools: [ChatTool], preamble: Llama3Preamble, scaffold: (String) -> Void,
        content: (String) -> Void
    ) throws(TokenizerError) {
        var messages = messages[...]
        scaffold("<|start_header_id|>system<|end_header_id|>\n\n")
        content((tools.isEmpty ? "" : "Environment: ipython\n") + preamble.text())
        if let first = messages.first, first.role == .system {
            content(Self.trimASCIISpace(first.content))
            messages = messages.dropFirst()
        }
        scaffold("<|eot_id|>")
        if !tools.isEmpty {
            guard let first = messages.first else {
                throw TokenizerError(.unknownRole, "Llama 3.1 puts tools in the first user message; there is none")
            }
            scaffold("<|start_header_id|>user<|end_header_id|>\n\n")
            content(
                Self.llama3ToolsHeading + tools.map { $0.indentedJSON + "\n\n" }.joined()
                    + Self.trimASCIISpace(first.content))
            scaffold("<|eot_id|>")
            messages = messages.dropFirst()
        }
        for message in messages {
            if message.role == .tool {
                scaffold("<|start_header_id|>ipython<|end_header_id|>\n\n")
                content(Self.jsonString(message.content))
            } else if !message.toolCalls.isEmpty {
                guard message.toolCalls.count == 1, let call = message.toolCalls.first else {
                    throw TokenizerError(.unknownRole, "Llama 3.1 writes one tool call per assistant message")
                }
                scaffold("<|start_header_id|>assistant<|end_header_id|>\n\n")
                content("{\"name\": \"\(call.name)\", \"parameters\": \(call.arguments)}")
            } else {
                scaffold("<|start_header_id|>")
                content(message.role.rawValue)
                scaffold("<|end_header_id|>\n\n")
                content(Self.trimASCIISpace(message.content))
            }
            scaffold("<|eot_id|>")
        }
    }

    /// `text` as a JSON string literal, as Python's `json.dumps(text, ensure_ascii=False)` writes it.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

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

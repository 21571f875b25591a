/// One message of a conversation to render with a `ChatTemplate`.
public struct ChatMessage: Sendable, Equatable {
    /// Who speaks; any string is representable so that unknown roles from clients reach `render`, which refuses them.
    public struct Role: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The role name as sent by the client.
        public let rawValue: String
        /// Creates a role from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Instructions for the assistant.
        public static let system = Role(rawValue: "system")
        /// The person talking to the model.
        public static let user = Role(rawValue: "user")
        /// The model's earlier replies.
        public static let assistant = Role(rawValue: "assistant")
        /// The result of a tool the assistant called.
        public static let tool = Role(rawValue: "tool")

        public var description: String { rawValue }
    }

    /// Who speaks.
    public var role: Role
    /// What they say (plain text: special-token strings in it stay text).
    public var content: String
    /// An assistant message's calls of tools (empty for any other message).
    public var toolCalls: [ChatToolCall]

    /// Creates a message.
    public init(role: Role, content: String, toolCalls: [ChatToolCall] = []) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
    }
}

/// One call of a tool in an assistant message, as a chat template writes it back into the conversation.
public struct ChatToolCall: Sendable, Equatable {
    /// The function's name.
    public var name: String
    /// The arguments as JSON text, written as the model's template writes a JSON value (`json.dumps` style:
    /// `", "` and `": "` between items).
    public var arguments: String

    /// A call of `name` with `arguments`.
    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

/// A function a conversation offers the model, as its template lists it.
public struct ChatTool: Sendable, Equatable {
    /// The function's name.
    public var name: String
    /// The whole tool (`{"type": "function", "function": {…}}`) as JSON text in `json.dumps` style, as the
    /// template's `tool | tojson` writes it (ChatML).
    public var json: String
    /// The same with `json.dumps(indent=4)`, as `tool | tojson(indent=4)` writes it (Llama 3.1).
    public var indentedJSON: String

    /// A tool named `name` whose JSON text is `json` (and `indentedJSON`, which defaults to `json`).
    public init(name: String, json: String, indentedJSON: String? = nil) {
        self.name = name
        self.json = json
        self.indentedJSON = indentedJSON ?? json
    }
}

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

        public var description: String { rawValue }
    }

    /// Who speaks.
    public var role: Role
    /// What they say (plain text: special-token strings in it stay text).
    public var content: String

    /// Creates a message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

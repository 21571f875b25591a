import BatchgateConfig
import Foundation
import Logging

/// The log handlers `serve` installs: swift-log's text lines, or one JSON object per line, on standard error.
enum LogFormatting {
    /// A factory for swift-log's bootstrap from `logging:`.
    static func factory(_ settings: BatchgateConfiguration.Logging) -> @Sendable (String) -> any LogHandler {
        let level = Logger.Level(rawValue: settings.level.rawValue) ?? .info
        return { label in
            var handler: any LogHandler =
                settings.format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// One JSON object per line: `ts`, `level`, `logger`, `message` and every metadata key.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [
            "ts": ISO8601DateFormatter().string(from: Date()), "level": "\(event.level)", "logger": label,
            "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = "\(value)"
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }
}

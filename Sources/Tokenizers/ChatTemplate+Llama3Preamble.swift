import Foundation

extension ChatTemplate {
    /// The system block Llama 3.1, 3.2 and 3.3 templates open every conversation with, whether or not it has a
    /// system message: `Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n`, then the system
    /// message (trimmed; empty when there is none).
    public struct Llama3Preamble: Sendable, Equatable {
        /// Where the date in "Today Date:" comes from.
        public enum DateSource: Sendable, Equatable {
            /// A constant the template sets (`date_string = "26 Jul 2024"`, Llama 3.1 and 3.3).
            case fixed(String)
            /// The local date when the prompt is rendered, as `%d %b %Y` (`strftime_now`, Llama 3.2).
            case today
        }

        /// The text after "Cutting Knowledge Date: " (e.g. "December 2023").
        public let knowledgeCutoff: String
        /// The date source.
        public let date: DateSource

        /// The preamble's text before the system message, rendered on `now` for `.today`.
        public func text(now: Date = Date()) -> String {
            let day: String
            switch date {
            case .fixed(let text): day = text
            case .today:
                let formatter = DateFormatter()
                formatter.locale = Locale(identifier: "en_US_POSIX")
                formatter.timeZone = .current
                formatter.dateFormat = "dd MMM yyyy"
                day = formatter.string(from: now)
            }
            return "Cutting Knowledge Date: \(knowledgeCutoff)\nToday Date: \(day)\n\n"
        }
    }

    /// The preamble a Llama 3 Jinja template writes, or nil when it writes none (Llama 3.0). The cutoff is read from
    /// the template's `"Cutting Knowledge Date: …\n"` literal; the date is today's when the template calls
    /// `strftime_now`, otherwise the constant it assigns to `date_string`.
    static func llama3Preamble(_ template: String) -> Llama3Preamble? {
        let marker = "Cutting Knowledge Date: "
        guard let start = template.range(of: marker)?.upperBound else { return nil }
        // The literal ends at its escaped newline (`\n` in the template source) or at its closing quote.
        let rest = template[start...]
        let end =
            [rest.range(of: "\\n")?.lowerBound, rest.firstIndex(where: { $0 == "\"" || $0 == "'" })]
            .compactMap { $0 }.min() ?? rest.endIndex
        let cutoff = String(rest[..<end])
        if template.contains("strftime_now") { return Llama3Preamble(knowledgeCutoff: cutoff, date: .today) }
        guard let assignment = template.range(of: "date_string = \"")?.upperBound,
            let close = template[assignment...].firstIndex(of: "\"")
        else { return nil }
        return Llama3Preamble(knowledgeCutoff: cutoff, date: .fixed(String(template[assignment..<close])))
    }
}

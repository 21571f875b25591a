import Basics
import Foundation

/// What a usage report covers and how it groups: `batchgate usage --since 24h --by key,model`.
public struct UsageQuery: Sendable, Equatable {
    /// A column a report groups by.
    public enum Dimension: String, Sendable, CaseIterable {
        /// The API key's name.
        case key
        /// The model.
        case model
        /// The node that answered.
        case node
        /// The HTTP status.
        case status

        var column: String {
            switch self {
            case .key: "key_name"
            case .model: "model"
            case .node: "node"
            case .status: "status"
            }
        }
    }

    /// Records that ended at or after this.
    public var since: Date
    /// The grouping, in column order; empty gives one total row.
    public var dimensions: [Dimension]

    /// Creates a query.
    public init(since: Date, dimensions: [Dimension]) {
        self.since = since
        self.dimensions = dimensions
    }

    /// Parses `key,model`, naming what is wrong: an unknown or repeated dimension.
    public static func dimensions(_ text: String) throws(StateStoreError) -> [Dimension] {
        var result: [Dimension] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let dimension = Dimension(rawValue: name) else {
                let known = Dimension.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidSettings("cannot group by '\(name)': choose from \(known)")
            }
            guard !result.contains(dimension) else { throw .invalidSettings("'\(name)' is named twice in --by") }
            result.append(dimension)
        }
        return result
    }
}

extension UsageQuery {
    /// How far back `--since` and `?since=` reach: `90s`, `30m`, `24h`, `7d`.
    public static let sinceSyntax = DurationSyntax(
        units: [
            .init("s", seconds: 1), .init("m", seconds: 60), .init("h", seconds: 3600), .init("d", seconds: 86400),
        ],
        ignoresCase: true, allowsNegative: false, allowsFloatLiterals: false, ticksPerSecond: 1000)

    /// The query for `since` (a duration back from `now`) and `by` (`key,model`), or why either is wrong.
    public static func parse(since: String, by: String, now: Date = Date()) throws(StateStoreError) -> UsageQuery {
        guard let back = sinceSyntax.parse(since), back > .zero else {
            throw .invalidSettings(
                "since must be a duration back from now such as 90s, 30m, 24h or 7d, found '\(since)'")
        }
        return UsageQuery(since: now.addingTimeInterval(-back.inSeconds), dimensions: try dimensions(by))
    }
}

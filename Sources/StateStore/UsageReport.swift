import Foundation

/// Usage summed per group, as `batchgate usage` and `GET /v1/usage` print it.
public struct UsageReport: Sendable, Equatable {
    /// One group's totals.
    public struct Row: Sendable, Equatable {
        /// The group's values, one per dimension, in the query's order.
        public var group: [String]
        /// Requests.
        public var requests: Int
        /// Prompt tokens.
        public var promptTokens: Int
        /// Prompt tokens from the prefix cache.
        public var cachedTokens: Int
        /// Generated tokens.
        public var completionTokens: Int
        /// Requests that ended with a status of 400 or more.
        public var errors: Int

        /// Creates a row.
        public init(
            group: [String], requests: Int, promptTokens: Int, cachedTokens: Int, completionTokens: Int, errors: Int
        ) {
            self.group = group
            self.requests = requests
            self.promptTokens = promptTokens
            self.cachedTokens = cachedTokens
            self.completionTokens = completionTokens
            self.errors = errors
        }
    }

    /// What was asked.
    public var query: UsageQuery
    /// The groups, ordered by their values.
    public var rows: [Row]

    /// Creates a report.
    public init(query: UsageQuery, rows: [Row]) {
        self.query = query
        self.rows = rows
    }

    /// The column names of every format: the dimensions, then the sums.
    public var header: [String] {
        query.dimensions.map(\.rawValue) + [
            "requests", "prompt_tokens", "cached_tokens", "completion_tokens", "errors",
        ]
    }

    static func cells(_ row: Row) -> [String] {
        row.group
            + [row.requests, row.promptTokens, row.cachedTokens, row.completionTokens, row.errors].map(String.init)
    }
}

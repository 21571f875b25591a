import Foundation

extension UsageReport {
    /// An aligned text table, one group a line, with a total line when there is more than one group.
    public var table: String {
        var lines = [header] + rows.map(Self.cells)
        if rows.count > 1 {
            let sum = { (value: (Row) -> Int) in String(rows.reduce(0) { $0 + value($1) }) }
            lines.append(
                (query.dimensions.isEmpty ? [] : ["total"] + Array(repeating: "", count: query.dimensions.count - 1))
                    + [
                        sum(\.requests), sum(\.promptTokens), sum(\.cachedTokens), sum(\.completionTokens),
                        sum(\.errors),
                    ])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        let groupColumns = query.dimensions.count
        return lines.map { line in
            line.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < groupColumns ? cell + pad : pad + cell
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    /// RFC 4180 CSV with a header line.
    public var csv: String {
        func field(_ text: String) -> String {
            guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return ([header] + rows.map(Self.cells)).map { $0.map(field).joined(separator: ",") }.joined(separator: "\r\n")
            + "\r\n"
    }

    /// `{"since": …, "group_by": […], "data": [{"key": …, "requests": …}, …]}`.
    public var json: String {
        func string(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        let since = ISO8601DateFormatter().string(from: query.since)
        let dimensions = query.dimensions.map { string($0.rawValue) }.joined(separator: ",")
        let data = rows.map { row in
            let groups = zip(query.dimensions, row.group).map { dimension, value in
                dimension == .status
                    ? "\(string(dimension.rawValue)):\(value)" : "\(string(dimension.rawValue)):\(string(value))"
            }
            let sums = [
                "\"requests\":\(row.requests)", "\"prompt_tokens\":\(row.promptTokens)",
                "\"cached_tokens\":\(row.cachedTokens)", "\"completion_tokens\":\(row.completionTokens)",
                "\"errors\":\(row.errors)",
            ]
            return "{" + (groups + sums).joined(separator: ",") + "}"
        }.joined(separator: ",")
        return
            "{\"object\":\"usage_report\",\"since\":\(string(since)),\"group_by\":[\(dimensions)],\"data\":[\(data)]}"
    }
}

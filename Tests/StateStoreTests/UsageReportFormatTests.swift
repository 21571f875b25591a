import Foundation
import Testing

@testable import StateStore

@Suite("Usage report formats")
struct UsageReportFormatTests {
    let report = UsageReport(
        query: UsageQuery(since: Date(timeIntervalSince1970: 0), dimensions: [.key, .model]),
        rows: [
            .init(
                group: ["team,a", "m\"1"], requests: 2, promptTokens: 30, cachedTokens: 4, completionTokens: 10,
                errors: 1),
            .init(group: ["b", "m1"], requests: 1, promptTokens: 5, cachedTokens: 0, completionTokens: 5, errors: 0),
        ])

    @Test("CSV quotes fields holding commas or quotes, with a header line")
    func csv() {
        #expect(
            report.csv
                == "key,model,requests,prompt_tokens,cached_tokens,completion_tokens,errors\r\n"
                + "\"team,a\",\"m\"\"1\",2,30,4,10,1\r\nb,m1,1,5,0,5,0\r\n")
    }

    @Test("JSON parses back with one object per group")
    func json() throws {
        let object = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
        let data = try #require(object?["data"] as? [[String: Any]])
        #expect(object?["since"] as? String == "1970-01-01T00:00:00Z")
        #expect(object?["group_by"] as? [String] == ["key", "model"])
        #expect(data.count == 2)
        #expect(data[0]["key"] as? String == "team,a")
        #expect(data[0]["model"] as? String == "m\"1")
        #expect(data[0]["requests"] as? Int == 2)
        #expect(data[1]["completion_tokens"] as? Int == 5)
    }

    @Test("The table aligns columns and ends with a total line")
    func table() {
        let lines = report.table.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("key"))
        #expect(lines[3].split(separator: " ") == ["total", "3", "35", "4", "15", "1"])
        #expect(lines.map(\.count).allSatisfy { $0 <= lines[0].count }, "columns align under the header")
    }

    @Test("--by names only known dimensions, once each")
    func dimensions() throws {
        #expect(try UsageQuery.dimensions("key,model") == [.key, .model])
        #expect(throws: StateStoreError.self) { try UsageQuery.dimensions("key,colour") }
        #expect(throws: StateStoreError.self) { try UsageQuery.dimensions("key,key") }
    }
}

@Suite("Usage query parsing")
struct UsageQueryParsingTests {
    @Test("since takes s, m, h and d back from now; nonsense and zero are refused")
    func since() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(try UsageQuery.parse(since: "24h", by: "key", now: now).since == now.addingTimeInterval(-86400))
        #expect(try UsageQuery.parse(since: "7d", by: "key", now: now).since == now.addingTimeInterval(-7 * 86400))
        #expect(try UsageQuery.parse(since: "90s", by: "model", now: now).dimensions == [.model])
        #expect(throws: StateStoreError.self) { try UsageQuery.parse(since: "yesterday", by: "key", now: now) }
        #expect(throws: StateStoreError.self) { try UsageQuery.parse(since: "0h", by: "key", now: now) }
    }
}

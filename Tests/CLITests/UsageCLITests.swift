import Foundation
import Logging
import StateStore
import Testing

@Suite("batchgate usage")
struct UsageCLITests {
    /// A data directory whose SQLite file holds three records of two keys (one an hour old) and one two days old.
    func seeded() async throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let store = try await StateStoreLocation.sqlite(
            path: directory.path + "/data/" + StateStoreLocation.sqliteFileName
        )
        .open(logger: Logger(label: "test"))
        func record(_ key: String, _ model: String, prompt: Int, completion: Int, ago: TimeInterval) -> UsageRecord {
            UsageRecord(
                requestID: UUID().uuidString, key: key, model: model, promptTokens: prompt, cachedTokens: 0,
                completionTokens: completion, status: 200, duration: .milliseconds(50), node: "n1",
                finishedAt: Date().addingTimeInterval(-ago))
        }
        try await store.insertUsage([
            record("alpha", "m1", prompt: 10, completion: 1, ago: 60),
            record("alpha", "m1", prompt: 20, completion: 2, ago: 3600),
            record("beta", "m2", prompt: 5, completion: 5, ago: 60),
            record("beta", "m2", prompt: 500, completion: 500, ago: 2 * 86400),
        ])
        await store.close()
        return directory
    }

    @Test("--csv, --json and the table sum the records since --since, grouped by --by")
    func formats() async throws {
        let directory = try await seeded()
        defer { directory.remove() }
        let data = directory.path + "/data"
        let csv = try await BatchgateProcess.run([
            "usage", "--data-dir", data, "--since", "24h", "--by", "key", "--csv",
        ])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(
            csv.stdout
                == "key,requests,prompt_tokens,cached_tokens,completion_tokens,errors\r\nalpha,2,30,0,3,0\r\n"
                + "beta,1,5,0,5,0\r\n")

        let json = try await BatchgateProcess.run([
            "usage", "--data-dir", data, "--since", "7d", "--by", "model", "--json",
        ])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let rows = try #require(object?["data"] as? [[String: Any]])
        #expect(rows.map { $0["requests"] as? Int } == [2, 2])

        let table = try await BatchgateProcess.run(["usage", "--data-dir", data, "--since", "24h"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("key"))
        #expect(table.stdout.contains("total"))
    }

    @Test("Bad --by or --since, and a missing store, are refused with a clear message")
    func refusals() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let badBy = try await BatchgateProcess.run(["usage", "--data-dir", directory.path, "--by", "colour"])
        #expect(badBy.status != 0)
        #expect(badBy.stderr.contains("cannot group by 'colour'"))
        let badSince = try await BatchgateProcess.run(["usage", "--data-dir", directory.path, "--since", "soon"])
        #expect(badSince.status != 0)
        #expect(badSince.stderr.contains("since must be a duration"))
        let missing = try await BatchgateProcess.run(["usage", "--data-dir", directory.path + "/nothing"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("no usage recorded yet"))
    }
}

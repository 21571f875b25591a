import Testing

@testable import LoadGenerator

/// `batchgate bench compare`: readable column names, never cut.
@Suite("Comparing two reports")
struct ComparisonTests {
    /// A report of a run that measured nothing (every figure zero).
    static let empty = RunResult(
        state: RunRecorder.State(), shape: .concurrency(1), serviceLevels: [], interrupted: false, windowSeconds: 1
    ).report(settings: BenchSettings(baseURL: "http://127.0.0.1:8080", model: "m"))

    @Test(
        "Columns are named by the files' names without .json, with folders only where the names are the same",
        arguments: [
            ("out/headline/llama-server.json", "out/headline/batchgate.json", "llama-server", "batchgate"),
            ("before/run.json", "after/run.json", "before/run", "after/run"),
            ("/tmp/x/a/run.json", "/tmp/y/a/run.json", "x/a/run", "y/a/run"),
            ("run.json", "run.json", "run", "run"),
            ("a.json", "data/b", "a", "b"),
        ])
    func columnNames(first: String, second: String, left: String, right: String) {
        let names = ReportComparison.columnNames(first, second)
        #expect(names.0 == left && names.1 == right)
    }

    @Test("Long names appear whole in the header, and every row lines up under it")
    func longNames() {
        let names = ReportComparison.columnNames(
            "out/llama-server-qwen2-0.5b-q8_0-2026-12-04.json", "out/batchgate-qwen2-0.5b-q8_0-2026-12-04.json")
        let table = ReportComparison.render(Self.empty, Self.empty, names: names).split(separator: "\n")
        let header = String(table[0])
        #expect(header.contains(" llama-server-qwen2-0.5b-q8_0-2026-12-04 "), "\(header)")
        #expect(header.contains(" batchgate-qwen2-0.5b-q8_0-2026-12-04 "), "\(header)")
        #expect(table.count > 10)
        #expect(table.allSatisfy { $0.count == header.count }, "\(table.joined(separator: "\n"))")
        // Right-aligned: each value ends where its column's name ends.
        let row = String(table[1])
        let end = header.range(of: "llama-server-qwen2-0.5b-q8_0-2026-12-04")!.upperBound
        let column = header.distance(from: header.startIndex, to: end)
        #expect(String(Array(row)[column - 5..<column]) == "0.000", "\(row)")
    }
}

import ArgumentParser
import LoadGenerator

/// `batchgate bench compare A.json B.json`: two JSON reports side by side.
struct BenchCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Print the figures of two `--json` reports side by side with the change from the first."
    )

    @Argument(help: "The first report (the baseline).")
    var first: String

    @Argument(help: "The second report.")
    var second: String

    func run() throws {
        do {
            let a = try ReportComparison.load(first)
            let b = try ReportComparison.load(second)
            print(ReportComparison.render(a, b, names: ReportComparison.columnNames(first, second)))
        } catch {
            ModelCommand.printError("error: \(error)")
            throw ExitCode.failure
        }
    }
}

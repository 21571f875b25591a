import ArgumentParser

/// `batchgate bench …`: load-test an OpenAI-compatible server (`run`, the default), compare two reports, or start
/// the timing stub the load generator's own benchmark runs against.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Load-test an OpenAI-compatible server: latency percentiles, throughput, goodput, SLO sweeps.",
        subcommands: [BenchRunCommand.self, BenchCompareCommand.self, BenchStubServerCommand.self],
        defaultSubcommand: BenchRunCommand.self
    )
}

import ArgumentParser

/// The `batchgate` command line: the only place where the modules are wired together.
@main
struct Batchgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batchgate",
        abstract: "An OpenAI-compatible gateway that batches requests per model onto CPU inference workers.",
        subcommands: [
            ServeCommand.self, ConfigCommand.self, KeysCommand.self, ModelCommand.self, GenerateCommand.self,
            BenchCommand.self, BenchIPCCommand.self, WorkerCommand.self, StageCommand.self, UsageCommand.self,
        ]
    )
}

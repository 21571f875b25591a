import ArgumentParser
import BatchgateConfig
import Foundation
import Logging
import StateStore

/// `batchgate usage`: usage summed from the state store (the node's SQLite file, or the cluster's PostgreSQL).
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Print usage (requests and tokens) from the state store, grouped by key, model, node or status.",
        discussion: """
            Reads the store the configuration's cluster section names: PostgreSQL when database_url is set, else the
            SQLite file in the data directory. Without --config, reads the default data directory's file (or
            --data-dir's).
              batchgate usage --config batchgate.yaml --since 24h --by key,model
              batchgate usage --data-dir ~/.cache/batchgate/data --since 7d --by model --csv
            """)

    @Option(help: "The configuration file whose cluster section names the store.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Read the SQLite file in this folder (instead of --config's).")
    var dataDirectory: String?

    @Option(help: "How far back: 90s, 30m, 24h, 7d (default 24h).")
    var since = "24h"

    @Option(help: "Group by these, comma-separated: key, model, node, status (default key,model).")
    var by = "key,model"

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print CSV.")
    var csv = false

    func validate() throws {
        guard !(json && csv) else { throw ValidationError("give at most one of --json and --csv") }
        guard !(config != nil && dataDirectory != nil) else {
            throw ValidationError("give --config or --data-dir, not both")
        }
        do {
            _ = try UsageQuery.parse(since: since, by: by)
        } catch {
            throw ValidationError("\(error)".replacingOccurrences(of: "state store settings: ", with: ""))
        }
    }

    func run() async throws {
        var cluster = BatchgateConfiguration.Cluster()
        if let config {
            do {
                cluster = try ConfigLoader.load(path: config).cluster
            } catch {
                for issue in error.issues { FileHandle.standardError.write(Data("\(issue)\n".utf8)) }
                throw ExitCode.failure
            }
        }
        if let dataDirectory {
            cluster.dataDirectory =
                dataDirectory.hasPrefix("/")
                ? dataDirectory
                : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(dataDirectory)
        }
        let location = try ClusterSetup.location(cluster)
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("no usage recorded yet: \(path) does not exist\n".utf8))
            throw ExitCode.failure
        }
        var logger = Logger(label: "batchgate.usage")
        logger.logLevel = .error
        let store: SQLStateStore
        do {
            store = try await location.open(logger: logger)
        } catch {
            FileHandle.standardError.write(Data("cannot open \(location.summary): \(error)\n".utf8))
            throw ExitCode.failure
        }
        defer { Task { await store.close() } }
        let report = try await store.usage(try UsageQuery.parse(since: since, by: by))
        await store.close()
        let text =
            json
            ? report.json + "\n" : csv ? report.csv : report.rows.isEmpty ? "no usage since \(since)\n" : report.table
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

import ArgumentParser
import BatchgateConfig
import Foundation
import Glibc

extension ConfigCommand {
    /// `batchgate config reload FILE`: validates the file, then asks the gateway serving it to reload (SIGHUP).
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Validate a configuration, then make the running gateway reload its keys, quotas and certificate.",
            discussion: """
                The gateway is the `batchgate serve --config FILE` process of this machine serving the same file \
                (or --pid). Nothing is sent when the file does not validate; the gateway validates it again and \
                logs the outcome, keeping the configuration in force if the file changed for the worse meanwhile.
                """
        )

        @Argument(help: "The configuration file the gateway was started with.")
        var file: String

        @Option(help: "The gateway's process id (default: found by its command line).")
        var pid: Int32?

        func run() throws {
            do {
                _ = try ConfigLoader.load(path: file)
            } catch {
                for issue in error.issues { ConfigCommand.printError(issue.description) }
                ConfigCommand.printError("not reloaded: \(file) does not validate")
                throw ExitCode.failure
            }
            let target = try pid ?? Self.gateway(serving: file)
            guard kill(target, SIGHUP) == 0 else {
                ConfigCommand.printError("cannot signal process \(target): \(String(cString: strerror(errno)))")
                throw ExitCode.failure
            }
            print("asked gateway \(target) to reload \(file); its log says how it went")
        }

        /// The pid of the one `batchgate serve --config FILE` process whose FILE is `file`.
        static func gateway(serving file: String) throws -> Int32 {
            let wanted = URL(fileURLWithPath: file).standardizedFileURL.resolvingSymlinksInPath().path
            var found: [Int32] = []
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry), pid != getpid(),
                    let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
                else { continue }
                let arguments = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                guard arguments.count >= 4, arguments[1] == "serve", let flag = arguments.firstIndex(of: "--config"),
                    flag + 1 < arguments.count
                else { continue }
                let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? "/"
                let configured = URL(fileURLWithPath: arguments[flag + 1], relativeTo: URL(fileURLWithPath: directory))
                    .standardizedFileURL.resolvingSymlinksInPath().path
                if configured == wanted { found.append(pid) }
            }
            guard found.count == 1 else {
                ConfigCommand.printError(
                    found.isEmpty
                        ? "no `batchgate serve --config \(file)` process found; give --pid"
                        : "several gateways serve \(file) (\(found)); give --pid")
                throw ExitCode.failure
            }
            return found[0]
        }
    }
}

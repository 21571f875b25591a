import Foundation

/// A program run to its end with its standard output and error captured together, for tests that check what a
/// command said.
public enum ProcessOutput {
    /// Runs `executable` with `arguments` (in `folder` when given) and returns its combined output and exit status.
    public static func run(_ executable: String, _ arguments: [String], in folder: URL? = nil) throws -> (
        text: String, status: Int32
    ) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = folder }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (text, process.terminationStatus)
    }
}

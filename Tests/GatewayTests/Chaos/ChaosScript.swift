import Foundation
import Glibc
import Testing

/// One of the chaos scripts (`Python/chaos_*.py`, standard library only) running against a live gateway in the
/// background, so that a test can break something while it runs.
final class ChaosScript {
    let process: Process
    /// The script's output goes to a file, so that a chatty script never blocks on a full pipe.
    private let output: URL

    /// Starts `Python/NAME BASE_URL KEY CA_FILE MODEL ARGUMENTS…`.
    init(_ name: String, against gateway: LiveGateway, key: String = LiveGateway.key, arguments: [String] = []) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/\(name)")
        process = Process()
        process.executableURL = URL(fileURLWithPath: LiveGatewayTests.python)
        process.arguments = [script.path, gateway.url(""), key, gateway.certificate, "tiny"] + arguments
        output = FileManager.default.temporaryDirectory.appendingPathComponent("chaos-\(UUID().uuidString).txt")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        try handle.close()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: output)
    }

    /// Waits for the script; its exit status and output.
    func finish() -> (status: Int32, output: String) {
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// Runs the script to its end and records an issue unless it exits 0 and printed "balanced: nothing lost".
    /// Returns its output.
    @discardableResult
    static func expectBalanced(
        _ name: String, against gateway: LiveGateway, key: String = LiveGateway.key, arguments: [String] = [],
        while during: () throws -> Void = {}, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let script = try ChaosScript(name, against: gateway, key: key, arguments: arguments)
        try during()
        return script.expectBalanced(gateway, sourceLocation: sourceLocation)
    }

    /// Waits for the script and records an issue unless it exits 0 and printed "balanced: nothing lost".
    @discardableResult
    func expectBalanced(_ gateway: LiveGateway, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let (status, output) = finish()
        print(output)
        #expect(
            status == 0 && output.contains("balanced: nothing lost"),
            "\(output)\n--- gateway log ---\n\(gateway.logText.suffix(3000))", sourceLocation: sourceLocation)
        return output
    }

    /// The outcome counts the script printed (`outcomes: {…}`), e.g. `["ok": 12, "refused": 3]`.
    static func outcomes(in output: String) -> [String: Int] {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("outcomes: ") }),
            let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(10).utf8)) as? [String: Int]
        else { return [:] }
        return object
    }
}

import Foundation
import Testing

/// Python's jsonschema, run by `scripts/validate-json-schema.py` with the test venv's python.
public enum SchemaValidator {
    /// The package root (three levels above this file).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `$BATCHGATE_PYTHON`, else `<package root>/.venv/bin/python` (`make venv` installs jsonschema there).
    public static var python: String {
        let environment = ProcessInfo.processInfo.environment["BATCHGATE_PYTHON"] ?? ""
        return environment.isEmpty ? packageRoot.appendingPathComponent(".venv/bin/python").path : environment
    }

    /// The problems jsonschema finds, per case: `(output index, message)`. Fails (never skips) without the venv.
    public static func problems(_ cases: [(schema: String, outputs: [String])]) throws -> [[(Int, String)]] {
        try #require(FileManager.default.isExecutableFile(atPath: python), "no \(python): run `make venv`")
        let request: [String: Any] = [
            "cases": try cases.map { item -> [String: Any] in
                ["schema": try JSONSerialization.jsonObject(with: Data(item.schema.utf8)), "outputs": item.outputs]
            }
        ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [packageRoot.appendingPathComponent("scripts/validate-json-schema.py").path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "validate-json-schema.py failed: \(message)")
        let results = try #require(try JSONSerialization.jsonObject(with: data) as? [[[String: Any]]])
        return results.map { problems in
            problems.map { (($0["output"] as? Int) ?? -1, ($0["error"] as? String) ?? "?") }
        }
    }
}

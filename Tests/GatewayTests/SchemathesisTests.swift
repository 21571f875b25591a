import BatchgateConfig
import Foundation
import Testing

/// schemathesis (PyPI, pinned in the Makefile's venv) against a live gateway over TLS with `Docs/openapi.yaml`: no
/// 5xx, and every answer's status, content type, headers and body conform to the description.
@Suite("OpenAPI conformance (schemathesis)", .serialized)
struct SchemathesisTests {
    static let admin = "bg-schemathesis-admin-key"
    /// Cases per operation and phase: the whole run takes about a minute on a loaded 2-core host.
    static let examples = 25

    /// The `st` command of the test environment's venv (beside `BATCHGATE_PYTHON`).
    static var schemathesis: String {
        URL(fileURLWithPath: LiveGatewayTests.python).deletingLastPathComponent().appendingPathComponent("st").path
    }

    /// The description with the model name pinned to the served model, so that generated requests reach generation
    /// instead of stopping at 404 `model_not_found` (which the negative cases still reach).
    static func specification(model: String) throws -> String {
        let text = try String(contentsOf: OpenAPIRouteTests.specification, encoding: .utf8)
        let generic = "    ModelName:\n      type: string\n      minLength: 1\n"
        guard text.contains(generic) else { throw LiveGatewayError("Docs/openapi.yaml has no ModelName schema") }
        return text.replacingOccurrences(of: generic, with: "    ModelName:\n      const: \(model)\n")
    }

    @Test("schemathesis finds no 5xx and no nonconforming answer on any route (ChatML, so tools are served)")
    func conformance() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.schemathesis), "no \(Self.schemathesis): run `make venv`")
        let keys =
            LiveGateway.keysYAML()
            + "\n  - name: ops\n    sha256: \(APIKeyDigest.sha256Hex(of: Self.admin))\n    admin: true"
        // A context of 256 keeps every generation short (a chat without max_tokens may take the whole context).
        let gateway = try LiveGateway(keys: keys, chatTemplate: "chatml", kvCacheMiB: 4, context: 256)
        let specification = gateway.folder.appendingPathComponent("openapi.yaml")
        try Self.specification(model: "tiny").write(to: specification, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.schemathesis)
        process.currentDirectoryURL = gateway.folder
        process.arguments = [
            "run", specification.path, "--url", gateway.url(""), "--tls-verify", gateway.certificate,
            "-H", "Authorization: Bearer \(Self.admin)",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
                + "response_headers_conformance,response_schema_conformance",
            // The event stream runs for an hour for an admin; DashboardTests covers it.
            "--exclude-path", "/dashboard/events",
            "--max-examples", "\(Self.examples)", "--seed", "2126", "--workers", "1", "--generation-database", "none",
            "--request-timeout", "60", "--no-color",
            // Hypothesis's own checks (slow or filtered generation) say nothing about the gateway; on a loaded CI
            // host they would only make the test flaky.
            "--suppress-health-check", "all",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        // It ran: "N generated, N passed" over every operation, and both phases ran.
        let summary = output.split(separator: "\n").first { $0.contains(" generated, ") } ?? ""
        let generated = Int(summary.split(separator: " ").first { Int($0) != nil } ?? "") ?? 0
        #expect(generated >= 500, "too few cases: \(summary)\n\(output)")
        #expect(output.contains("Operations:       14 selected / 15 total"), "\(output)")
        #expect(!output.contains("No tests were run"), "\(output)")
        print("schemathesis: \(summary.trimmingCharacters(in: .whitespaces))")
        // Every 5xx the gateway logged (not /health/ready's 503s while the worker started, before the run).
        let serverErrors = gateway.logText.split(separator: "\n").filter {
            $0.contains(" status=5") && !$0.contains(" path=/health/ready ")
        }
        #expect(serverErrors.isEmpty, "\(serverErrors.joined(separator: "\n"))")
    }
}

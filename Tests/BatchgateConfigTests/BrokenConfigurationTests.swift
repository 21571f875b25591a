import Foundation
import Testing

@testable import BatchgateConfig

/// One problem a broken configuration must be reported with.
struct ExpectedIssue: Sendable {
    let line: Int
    let column: Int
    let keyPath: String
    let message: String
    let code: ConfigIssue.Code

    init(_ line: Int, _ column: Int, _ keyPath: String, _ message: String, _ code: ConfigIssue.Code) {
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
        self.code = code
    }
}

/// A configuration that must be rejected, and exactly the problems it must be rejected with, in order.
/// `$DIR` in messages stands for the fixture directory.
struct BrokenCase: Sendable, CustomTestStringConvertible {
    let name: String
    let yaml: String
    let expected: [ExpectedIssue]

    var testDescription: String { name }
}

/// Broken listener, TLS, model, metrics and logging sections, and broken documents.
let brokenCases: [BrokenCase] = [
    BrokenCase(
        name: "unknown key with a did-you-mean hint",
        yaml: baseYAML + "listener:\n  prot: 8443\n",
        expected: [.init(8, 3, "listener.prot", "unknown key 'prot' (did you mean 'port'?)", .unknownKey)]
    ),
    BrokenCase(
        name: "unknown key hinted by prefix",
        yaml: baseYAML + "listener:\n  max_body: 10\n",
        expected: [
            .init(8, 3, "listener.max_body", "unknown key 'max_body' (did you mean 'max_body_bytes'?)", .unknownKey)
        ]
    ),
    BrokenCase(
        name: "unknown key without a hint",
        yaml: baseYAML + "listener:\n  colour: blue\n",
        expected: [.init(8, 3, "listener.colour", "unknown key 'colour'", .unknownKey)]
    ),
    BrokenCase(
        name: "unknown top-level key",
        yaml: baseYAML + "modles: []\n",
        expected: [.init(7, 1, "modles", "unknown key 'modles' (did you mean 'models'?)", .unknownKey)]
    ),
    BrokenCase(
        name: "string where an integer belongs",
        yaml: baseYAML + "    workers: two\n",
        expected: [.init(7, 14, "models[0].workers", "expected an integer, found string \"two\"", .wrongType)]
    ),
    BrokenCase(
        name: "quoted number where an integer belongs",
        yaml: baseYAML + "listener:\n  port: \"8443\"\n",
        expected: [.init(8, 9, "listener.port", "expected an integer, found string \"8443\"", .wrongType)]
    ),
    BrokenCase(
        name: "mapping where a list belongs",
        yaml: "tls:\n  certificate: cert.pem\n  key: key.pem\nmodels:\n  name: m\n  path: model.gguf\n",
        expected: [.init(5, 3, "models", "expected a list, found a mapping", .wrongType)]
    ),
    BrokenCase(
        name: "integer where a boolean belongs",
        yaml: baseYAML + "metrics:\n  enabled: 1\n",
        expected: [
            .init(8, 12, "metrics.enabled", "expected a boolean (true or false), found integer 1", .wrongType)
        ]
    ),
    BrokenCase(
        name: "missing model file",
        yaml: baseYAML.replacingOccurrences(of: "model.gguf", with: "missing.gguf"),
        expected: [.init(6, 11, "models[0].path", "model file not found: $DIR/missing.gguf", .fileMissing)]
    ),
    BrokenCase(
        name: "model path that is a directory",
        yaml: baseYAML.replacingOccurrences(of: "model.gguf", with: "models-dir"),
        expected: [
            .init(
                6,
                11,
                "models[0].path",
                "model file is not readable: $DIR/models-dir (is a directory)",
                .fileUnreadable
            )
        ]
    ),
    BrokenCase(
        name: "model file without the GGUF magic",
        yaml: baseYAML.replacingOccurrences(of: "model.gguf", with: "notgguf.bin"),
        expected: [.init(6, 11, "models[0].path", "not a GGUF file (bad magic): $DIR/notgguf.bin", .notGGUF)]
    ),
    BrokenCase(
        name: "model file shorter than the magic",
        yaml: baseYAML.replacingOccurrences(of: "model.gguf", with: "short.gguf"),
        expected: [.init(6, 11, "models[0].path", "not a GGUF file (bad magic): $DIR/short.gguf", .notGGUF)]
    ),
    BrokenCase(
        name: "duplicate model name",
        yaml: baseYAML + "  - name: m\n    path: model.gguf\n",
        expected: [.init(7, 11, "models[1].name", "duplicate model name 'm' (first defined at line 5)", .duplicate)]
    ),
    BrokenCase(
        name: "invalid model name",
        yaml: baseYAML.replacingOccurrences(of: "name: m", with: "name: my model"),
        expected: [
            .init(
                5,
                11,
                "models[0].name",
                "invalid model name 'my model': use only letters, digits, '.', '_', ':' and '-'",
                .invalidValue
            )
        ]
    ),
    BrokenCase(
        name: "TLS certificate that is a directory",
        yaml: baseYAML.replacingOccurrences(of: "cert.pem", with: "tls-dir"),
        expected: [
            .init(
                2,
                16,
                "tls.certificate",
                "TLS certificate not readable: $DIR/tls-dir (is a directory)",
                .fileUnreadable
            )
        ]
    ),
    BrokenCase(
        name: "missing TLS key without self_signed",
        yaml: baseYAML.replacingOccurrences(of: "key.pem", with: "gone.pem"),
        expected: [.init(3, 8, "tls.key", "TLS key not readable: $DIR/gone.pem (no such file)", .fileMissing)]
    ),
    BrokenCase(
        name: "missing client CA even with self_signed",
        yaml: "tls:\n  certificate: new.pem\n  key: new-key.pem\n  self_signed: true\n  client_ca: ca.pem\n"
            + "models:\n  - name: m\n    path: model.gguf\n",
        expected: [
            .init(5, 14, "tls.client_ca", "TLS client CA not readable: $DIR/ca.pem (no such file)", .fileMissing)
        ]
    ),
    BrokenCase(
        name: "bad TLS version",
        yaml: baseYAML.replacingOccurrences(of: "key.pem\n", with: "key.pem\n  min_version: 1.1\n"),
        expected: [
            .init(
                4,
                16,
                "tls.min_version",
                "must be one of 1.2 or 1.3, found \"1.1\" (did you mean '1.2'?)",
                .invalidValue
            )
        ]
    ),
    BrokenCase(
        name: "port 0",
        yaml: baseYAML + "listener:\n  port: 0\n",
        expected: [.init(8, 9, "listener.port", "must be between 1 and 65535, found 0", .outOfRange)]
    ),
    BrokenCase(
        name: "port 70000",
        yaml: baseYAML + "listener:\n  port: 70000\n",
        expected: [.init(8, 9, "listener.port", "must be between 1 and 65535, found 70000", .outOfRange)]
    ),
    BrokenCase(
        name: "metrics port equal to the listener's",
        yaml: baseYAML + "metrics:\n  port: 8443\n",
        expected: [.init(8, 9, "metrics.port", "must differ from listener.port (8443)", .invalidValue)]
    ),
    BrokenCase(
        name: "metrics path without a slash",
        yaml: baseYAML + "metrics:\n  path: metrics\n",
        expected: [.init(8, 9, "metrics.path", "must start with \"/\", found \"metrics\"", .invalidValue)]
    ),
    BrokenCase(
        name: "bad duration",
        yaml: baseYAML + "listener:\n  idle_timeout: 5 minutes\n",
        expected: [
            .init(
                8,
                17,
                "listener.idle_timeout",
                "expected a duration such as \"500ms\", \"30s\", \"5m\", \"1h\" or a number of seconds, "
                    + "found string \"5 minutes\"",
                .invalidValue
            )
        ]
    ),
    BrokenCase(
        name: "zero handshake timeout",
        yaml: baseYAML + "listener:\n  handshake_timeout: 0s\n",
        expected: [.init(8, 22, "listener.handshake_timeout", "must be greater than 0, found 0s", .outOfRange)]
    ),
    BrokenCase(
        name: "no pending handshakes allowed",
        yaml: baseYAML + "listener:\n  max_pending_handshakes: 0\n",
        expected: [.init(8, 27, "listener.max_pending_handshakes", "must be greater than 0, found 0", .outOfRange)]
    ),
    BrokenCase(
        name: "body timeout that is not a duration",
        yaml: baseYAML + "listener:\n  body_timeout: [30]\n",
        expected: [.init(8, 17, "listener.body_timeout", "expected a duration, found a list", .wrongType)]
    ),
    BrokenCase(
        name: "negative minimum body rate",
        yaml: baseYAML + "listener:\n  min_body_bytes_per_second: -1\n",
        expected: [
            .init(8, 30, "listener.min_body_bytes_per_second", "must not be negative, found -1", .outOfRange)
        ]
    ),
    BrokenCase(
        name: "legacy cipher suites as a string",
        yaml: baseYAML.replacingOccurrences(
            of: "  key: key.pem\n", with: "  key: key.pem\n  legacy_cipher_suites: yes please\n"),
        expected: [
            .init(
                4, 25, "tls.legacy_cipher_suites", "expected a boolean (true or false), found string \"yes please\"",
                .wrongType)
        ]
    ),
    BrokenCase(
        name: "zero worker heartbeat timeout",
        yaml: baseYAML + "    worker_heartbeat_timeout: 0s\n",
        expected: [
            .init(7, 31, "models[0].worker_heartbeat_timeout", "must be greater than 0, found 0s", .outOfRange)
        ]
    ),
    BrokenCase(
        name: "zero queue timeout",
        yaml: baseYAML + "    queue_timeout: 0s\n",
        expected: [.init(7, 20, "models[0].queue_timeout", "must be greater than 0, found 0s", .outOfRange)]
    ),
    BrokenCase(
        name: "a KV cache size that is neither a number nor auto",
        yaml: baseYAML + "    kv_cache_mib: lots\n",
        expected: [
            .init(7, 19, "models[0].kv_cache_mib", "expected an integer or \"auto\", found string \"lots\"", .wrongType)
        ]
    ),
    BrokenCase(
        name: "a prefix cache switch that is not a boolean",
        yaml: baseYAML + "    prefix_cache: sometimes\n",
        expected: [
            .init(
                7, 19, "models[0].prefix_cache", "expected a boolean (true or false), found string \"sometimes\"",
                .wrongType)
        ]
    ),
    BrokenCase(
        name: "a prefix cache share above 1",
        yaml: baseYAML + "    prefix_cache_max_share: 1.5\n",
        expected: [.init(7, 29, "models[0].prefix_cache_max_share", "must be between 0 and 1, found 1.5", .outOfRange)]
    ),
    BrokenCase(
        name: "a negative prefix cache share",
        yaml: baseYAML + "    prefix_cache_max_share: -0.25\n",
        expected: [
            .init(7, 29, "models[0].prefix_cache_max_share", "must be between 0 and 1, found -0.25", .outOfRange)
        ]
    ),
    BrokenCase(
        name: "a prefix cache share that is not a number",
        yaml: baseYAML + "    prefix_cache_max_share: half\n",
        expected: [
            .init(
                7, 29, "models[0].prefix_cache_max_share", "expected a number from 0 to 1, found string \"half\"",
                .wrongType)
        ]
    ),
    BrokenCase(
        name: "negative threads",
        yaml: baseYAML + "    threads: -1\n",
        expected: [.init(7, 14, "models[0].threads", "must not be negative, found -1", .outOfRange)]
    ),
    BrokenCase(
        name: "max_running above max_batch_tokens",
        yaml: baseYAML + "    max_batch_tokens: 8\n    max_running: 9\n",
        expected: [
            .init(8, 18, "models[0].max_running", "must not exceed max_batch_tokens (8), found 9", .invalidValue)
        ]
    ),
    BrokenCase(
        name: "bad log level",
        yaml: baseYAML + "logging:\n  level: verbose\n",
        expected: [
            .init(
                8,
                10,
                "logging.level",
                "must be one of trace, debug, info, notice, warning, error or critical, found \"verbose\"",
                .invalidValue
            )
        ]
    ),
    BrokenCase(
        name: "log level close to a valid one",
        yaml: baseYAML + "logging:\n  level: warn\n",
        expected: [
            .init(
                8,
                10,
                "logging.level",
                "must be one of trace, debug, info, notice, warning, error or critical, found \"warn\" "
                    + "(did you mean 'warning'?)",
                .invalidValue
            )
        ]
    ),
    BrokenCase(
        name: "missing required key",
        yaml: "tls:\n  certificate: cert.pem\n  key: key.pem\nmodels:\n  - name: m\n",
        expected: [.init(5, 5, "models[0].path", "missing required key 'path'", .missingKey)]
    ),
    BrokenCase(
        name: "missing tls without plaintext",
        yaml: "models:\n  - name: m\n    path: model.gguf\n",
        expected: [
            .init(
                1,
                1,
                "tls",
                "missing required key 'tls' (or set listener.plaintext: true to serve plain HTTP)",
                .missingKey
            )
        ]
    ),
    BrokenCase(
        name: "plaintext with tls present",
        yaml: "listener:\n  plaintext: true\n" + baseYAML,
        expected: [.init(3, 1, "tls", "must be absent when listener.plaintext is true", .invalidValue)]
    ),
    BrokenCase(
        name: "empty model list",
        yaml: "tls:\n  certificate: cert.pem\n  key: key.pem\nmodels: []\n",
        expected: [.init(4, 9, "models", "must list at least one model", .invalidValue)]
    ),
    BrokenCase(
        name: "YAML syntax error",
        yaml: "tls: [cert.pem\nmodels: []\n",
        expected: [
            .init(
                2,
                7,
                "",
                "did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 6)",
                .yamlSyntax
            )
        ]
    ),
    BrokenCase(
        name: "key defined twice in one mapping",
        yaml: baseYAML + "models: []\n",
        expected: [.init(4, 1, "", "duplicate key 'models' in the same mapping", .duplicate)]
    ),
    BrokenCase(
        name: "document that is not a mapping",
        yaml: "- tls\n- models\n",
        expected: [.init(1, 1, "", "expected a mapping, found a list", .wrongType)]
    ),
    BrokenCase(
        name: "several problems at once, in file order",
        yaml: """
            listener:
              port: 70000
              prot: 1
            tls:
              certificate: cert.pem
              key: key.pem
            models:
              - name: m
                path: missing.gguf
                workers: 0
              - name: m
            keys:
              - name: ci
                sha256: xyz
                models: [nope]
            logging:
              level: loud

            """,
        expected: [
            .init(2, 9, "listener.port", "must be between 1 and 65535, found 70000", .outOfRange),
            .init(3, 3, "listener.prot", "unknown key 'prot' (did you mean 'port'?)", .unknownKey),
            .init(9, 11, "models[0].path", "model file not found: $DIR/missing.gguf", .fileMissing),
            .init(10, 14, "models[0].workers", "must be greater than 0, found 0", .outOfRange),
            .init(11, 5, "models[1].path", "missing required key 'path'", .missingKey),
            .init(11, 11, "models[1].name", "duplicate model name 'm' (first defined at line 8)", .duplicate),
            .init(
                14,
                13,
                "keys[0].sha256",
                "malformed SHA-256 digest: expected 64 hexadecimal characters",
                .malformedDigest
            ),
            .init(15, 14, "keys[0].models[0]", "key 'ci' allows unknown model 'nope'", .unknownModel),
            .init(
                17,
                10,
                "logging.level",
                "must be one of trace, debug, info, notice, warning, error or critical, found \"loud\"",
                .invalidValue
            ),
        ]
    ),
]

@Suite("Broken configurations")
struct BrokenConfigurationTests {
    @Test(
        "Reports exactly the expected problems, with file, line, column, key path and message",
        arguments: brokenCases + brokenKeyCases)
    func reportsProblems(_ brokenCase: BrokenCase) throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let directory = (fixture.directory as NSString).standardizingPath
        let issues = fixture.issues(brokenCase.yaml)
        let expected = brokenCase.expected.map { expected in
            let message = expected.message.replacingOccurrences(of: "$DIR", with: directory)
            let place = "test.yaml:\(expected.line):\(expected.column): "
            return (expected, message, place + (expected.keyPath.isEmpty ? "" : expected.keyPath + ": ") + message)
        }
        #expect(issues.map(\.description) == expected.map(\.2))
        try #require(issues.count == expected.count)
        for (issue, (want, message, _)) in zip(issues, expected) {
            #expect(issue.file == "test.yaml")
            #expect(issue.line == want.line)
            #expect(issue.column == want.column)
            #expect(issue.keyPath == want.keyPath)
            #expect(issue.message == message)
            #expect(issue.code == want.code)
            #expect(issue.severity == .error)
        }
    }

    @Test("load(path:) names the file as given and reports a missing file as one issue")
    func loadReportsMissingFile() {
        let path = "/nonexistent-\(UUID().uuidString)/batchgate.yaml"
        #expect {
            try ConfigLoader.load(path: path)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.code == .unreadableFile
                && error.issues.map(\.description) == ["\(path): cannot read the configuration file: no such file"]
        }
    }

    @Test("load(path:) resolves relative paths against the file's directory and names the file in issues")
    func loadResolvesRelativeToFile() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let configPath = fixture.directory + "/models-dir/config.yaml"
        let yaml = baseYAML.replacingOccurrences(of: "model.gguf", with: "../model.gguf")
            .replacingOccurrences(of: "cert.pem", with: "../cert.pem")
            .replacingOccurrences(of: "key.pem", with: "../missing-key.pem")
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let directory = (fixture.directory as NSString).standardizingPath
        #expect {
            try ConfigLoader.load(path: configPath)
        } throws: { error in
            (error as? ConfigError)?.issues.map(\.description) == [
                "\(configPath):3:8: tls.key: TLS key not readable: \(directory)/missing-key.pem (no such file)"
            ]
        }
    }
}

import Foundation
import Testing

/// A configuration around one model; `keysBlock` is pasted under `keys:`.
private func configuration(keysBlock: String) -> String {
    """
    tls:
      certificate: cert.pem
      key: key.pem
    models:
      - name: m
        path: model.gguf
    keys:
    \(keysBlock)
    """
}

@Suite("batchgate config and keys commands")
struct ConfigCLITests {
    @Test("keys create --json gives a key whose digest config check accepts, and keys hash agrees")
    func createJSONThenCheck() throws {
        let created = try BatchgateProcess.run(["keys", "create", "--json"])
        #expect(created.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String]
        let fields = try #require(object)
        let key = try #require(fields["key"])
        let digest = try #require(fields["sha256"])
        #expect(Set(fields.keys) == ["key", "sha256", "name"])
        #expect(key.hasPrefix("bg-") && key.count == 46)
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit) && digest == digest.lowercased())
        #expect(fields["name"] == "key-" + digest.prefix(8))

        let hashed = try BatchgateProcess.run(["keys", "hash"], input: key + "\n")
        #expect(hashed.status == 0)
        #expect(hashed.stdout == digest + "\n")

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(
            "batchgate.yaml",
            configuration(keysBlock: "  - name: ci\n    sha256: \(digest)\n")
        )
        let checked = try BatchgateProcess.run(["config", "check", file])
        #expect(checked.status == 0)
        #expect(checked.stdout == "\(file): OK (1 model, 1 key)\n")
        #expect(checked.stderr == "")
    }

    @Test("keys create prints the key once and a YAML entry with only its digest, which config check accepts")
    func createTextThenPaste() throws {
        let created = try BatchgateProcess.run(["keys", "create", "--name", "batch jobs", "--models", "m"])
        #expect(created.status == 0)
        let keyLine = try #require(created.stdout.split(separator: "\n").first { $0.hasPrefix("    bg-") })
        let key = keyLine.trimmingCharacters(in: .whitespaces)
        #expect(created.stdout.components(separatedBy: key).count == 2, "the key must appear exactly once")
        #expect(created.stdout.localizedCaseInsensitiveContains("only once"))

        let yaml = try #require(created.stdout.components(separatedBy: "under `keys:` in the configuration:\n").last)
        let digest = try BatchgateProcess.run(["keys", "hash", "--key", key]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!yaml.contains(key))
        #expect(yaml.contains("sha256: \"\(digest)\""))
        #expect(yaml.contains("name: \"batch jobs\""))
        #expect(yaml.contains("models: [\"m\"]"))

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write("pasted.yaml", configuration(keysBlock: yaml))
        let checked = try BatchgateProcess.run(["config", "check", file])
        #expect(checked.status == 0, "\(checked.stderr)")
    }

    @Test("keys hash reads standard input, trims whitespace, and matches the SHA-256 test vector")
    func hashVector() throws {
        let result = try BatchgateProcess.run(["keys", "hash"], input: "  abc \n")
        #expect(result.status == 0)
        #expect(result.stdout == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n")
        let empty = try BatchgateProcess.run(["keys", "hash"], input: "")
        #expect(empty.status == 1)
        #expect(empty.stdout == "")
        #expect(empty.stderr.contains("no key given"))
    }

    @Test("config check on a broken file prints every problem as FILE:LINE:COL: path: message and exits 1")
    func checkBroken() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(
            "broken.yaml",
            """
            listener:
              prot: 8443
            tls:
              certificate: cert.pem
              key: key.pem
            models:
              - name: m
                path: model.gguf
                workers: two
            keys:
              - name: ci
                sha256: nothex
                models: [nope]

            """
        )
        let result = try BatchgateProcess.run(["config", "check", file])
        #expect(result.status == 1)
        #expect(result.stdout == "")
        #expect(
            result.stderr == """
                \(file):2:3: listener.prot: unknown key 'prot' (did you mean 'port'?)
                \(file):9:14: models[0].workers: expected an integer, found string "two"
                \(file):12:13: keys[0].sha256: malformed SHA-256 digest: expected 64 hexadecimal characters
                \(file):13:14: keys[0].models[0]: key 'ci' allows unknown model 'nope'
                4 problems found in \(file)

                """
        )
    }

    @Test("config check warns about a configuration without keys but exits 0")
    func checkWithoutKeys() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = try directory.write(
            "nokeys.yaml", configuration(keysBlock: "").replacingOccurrences(of: "keys:\n", with: ""))
        let result = try BatchgateProcess.run(["config", "check", file])
        #expect(result.status == 0)
        #expect(result.stdout == "\(file): OK (1 model, 0 keys)\n")
        #expect(result.stderr == "\(file):1:1: warning: keys: no API keys: every request will be refused with 401\n")
    }

    @Test("config check on a missing file says so and exits 1")
    func checkMissingFile() throws {
        let file = "/nonexistent-\(UUID().uuidString).yaml"
        let result = try BatchgateProcess.run(["config", "check", file])
        #expect(result.status == 1)
        #expect(result.stderr == "\(file): cannot read the configuration file: no such file\n")
    }
}

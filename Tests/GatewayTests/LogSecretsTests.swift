import BatchgateConfig
import Foundation
import Glibc
import Testing

/// No secret reaches a log: a live gateway and its worker at debug level serve traffic with known key material (good
/// keys, wrong keys, keys in the wrong header or scheme, in a query, a form, a cookie, an oversized header, a reload
/// that adds a key and one that fails on a pasted key), and no line the processes wrote holds any of it.
@Suite("Secrets never reach the logs", .serialized)
struct LogSecretsTests {
    /// A fresh random key (256 bits, as `batchgate keys create` makes them).
    static func randomKey() -> String {
        "bg-" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    @Test("Keys, wrong keys, a session token and a pasted key appear in no log line; the traffic itself was logged")
    func noSecretsInLogs() throws {
        let user = Self.randomKey()
        let admin = Self.randomKey()
        let wrong = Self.randomKey()
        let added = Self.randomKey()
        let pasted = Self.randomKey()
        let keys =
            "  - name: user\n    sha256: \(APIKeyDigest.sha256Hex(of: user))\n"
            + "  - name: ops\n    sha256: \(APIKeyDigest.sha256Hex(of: admin))\n    admin: true"
        let gateway = try LiveGateway(keys: keys, logLevel: "debug")
        func status(_ arguments: [String]) throws -> String {
            try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}"] + arguments).output
        }
        let chat = #"{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":4"#

        // The right keys, on every kind of route.
        for (path, body) in [
            ("/v1/chat/completions", chat + "}"), ("/v1/chat/completions", chat + #","stream":true}"#),
            ("/v1/completions", #"{"model":"tiny","prompt":"hi","max_tokens":4}"#),
            ("/tokenize", #"{"model":"tiny","prompt":"hi"}"#),
        ] {
            #expect(try status([gateway.url(path), "-H", "Authorization: Bearer \(user)", "-d", body]) == "200")
        }
        #expect(try status([gateway.url("/v1/models"), "-H", "Authorization: Bearer \(user)"]) == "200")
        #expect(try status([gateway.url("/v1/usage"), "-H", "Authorization: Bearer \(user)"]) == "403")
        #expect(try status([gateway.url("/dashboard/state"), "-H", "Authorization: Bearer \(admin)"]) == "200")

        // Wrong keys, and keys where they do not belong.
        let refused: [[String]] = [
            ["-H", "Authorization: Bearer \(wrong)"],
            ["-H", "Authorization: \(user)"],
            ["-H", "Authorization: Basic \(Data("\(user):".utf8).base64EncodedString())"],
            ["-H", "Authorization: Bearer \(wrong) \(user)"],
            ["-H", "Authorization: Bearer \(wrong)\u{1}"],
            ["-H", "X-API-Key: \(user)"],
            ["-H", "Cookie: batchgate_session=\(user)"],
        ]
        for arguments in refused {
            #expect(try status([gateway.url("/v1/models")] + arguments) == "401", "\(arguments)")
        }
        #expect(try status([gateway.url("/v1/models?api_key=\(user)")]) == "401")
        #expect(
            try status([
                gateway.url("/v1/chat/completions"), "-H", "Authorization: Bearer \(user)", "-d",
                #"{"model":"\#(wrong)","messages":[{"role":"user","content":"hi"}]}"#,
            ]) == "404")
        #expect(try status([gateway.url("/dashboard?key=\(wrong)")]) == "401")
        #expect(try status([gateway.url("/dashboard/login"), "-d", "key=\(wrong)"]) == "401")
        #expect(try status([gateway.url("/dashboard/login"), "-d", "key=\(user)"]) == "403")
        #expect(try status([gateway.url("/dashboard"), "-H", "Cookie: batchgate_session=\(wrong)"]) == "401")
        // A head over `listener.max_header_bytes` (64 KiB), the key in it (431 `headers_too_large`); the same over
        // HTTP/2, past NIO's HPACK bound, where the connection is refused as a whole (no status to check, only the log).
        let oversized = [
            "-H", "Authorization: Bearer \(user)", "-H", "X-Padding: \(String(repeating: wrong, count: 1500))",
        ]
        #expect(try status(["--http1.1", gateway.url("/v1/models")] + oversized) == "431")
        _ = try status(["--http2", gateway.url("/v1/models")] + oversized)

        // A session: its token is as secret as a key.
        let headers = try gateway.curl([
            "-D", "-", "-o", "/dev/null", gateway.url("/dashboard/login"), "-d", "key=\(admin)",
        ])
        .output
        let token = try #require(
            headers.split(whereSeparator: \.isNewline).compactMap { line -> String? in
                guard line.lowercased().hasPrefix("set-cookie: batchgate_session=") else { return nil }
                return line.split(separator: "=", maxSplits: 1)[1].split(separator: ";")[0].description
            }.first, "\(headers)")
        #expect(try status([gateway.url("/dashboard/state"), "-H", "Cookie: batchgate_session=\(token)"]) == "200")
        #expect(
            try status([gateway.url("/dashboard/logout"), "-X", "POST", "-H", "Cookie: batchgate_session=\(token)"])
                == "303")

        // A reload that adds a key, then one whose file has a key pasted where its digest belongs (refused, logged).
        let configuration = gateway.folder.appendingPathComponent("batchgate.yaml")
        let original = try String(contentsOf: configuration, encoding: .utf8)
        let withAdded = original.replacingOccurrences(
            of: "keys:\n", with: "keys:\n  - name: added\n    sha256: \(APIKeyDigest.sha256Hex(of: added))\n")
        try #require(withAdded != original)
        try withAdded.write(to: configuration, atomically: true, encoding: .utf8)
        kill(gateway.process.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<100 where !reloaded {
            reloaded = try status([gateway.url("/v1/models"), "-H", "Authorization: Bearer \(added)"]) == "200"
            if !reloaded { usleep(100_000) }
        }
        #expect(reloaded, "\(gateway.logText)")
        try original.replacingOccurrences(of: "keys:\n", with: "keys:\n  - name: pasted\n    sha256: \(pasted)\n")
            .write(to: configuration, atomically: true, encoding: .utf8)
        kill(gateway.process.processIdentifier, SIGHUP)
        var refusedReload = false
        for _ in 0..<100 where !refusedReload {
            refusedReload = gateway.logText.contains("malformed SHA-256 digest")
            if !refusedReload { usleep(100_000) }
        }
        #expect(refusedReload, "\(gateway.logText)")
        #expect(try status([gateway.url("/v1/models"), "-H", "Authorization: Bearer \(added)"]) == "200")

        // Stop the gateway (and its worker) so that every line is written, then read them all.
        kill(gateway.process.processIdentifier, SIGTERM)
        gateway.process.waitUntilExit()
        let log = gateway.logText
        #expect(log.contains("status=401") && log.contains("error=invalid_api_key") && log.contains("key=ops"))
        // The worker inherits the gateway's standard error: its lines (`batchgate worker: …`) land in the same file.
        #expect(log.contains("worker ready"), "the log holds the worker's start")
        let secrets = [
            ("user key", user), ("admin key", admin), ("wrong key", wrong), ("reloaded key", added),
            ("pasted key", pasted), ("session token", token),
        ]
        for (name, secret) in secrets {
            // The whole secret, and its 16-character prefixes and suffixes (a truncated echo is a leak too).
            for piece in [secret, String(secret.prefix(16)), String(secret.suffix(16))] {
                let lines = log.split(separator: "\n").filter { $0.contains(piece) }
                #expect(lines.isEmpty, "the \(name) appears in the log:\n\(lines.prefix(5).joined(separator: "\n"))")
            }
        }
        let basic = Data("\(user):".utf8).base64EncodedString()
        #expect(!log.contains(basic), "the Basic-encoded key appears in the log")
    }
}

import BatchgateConfig
import BatchgateTestSupport
import Foundation
import Glibc
import Testing

/// `/dashboard` on a real gateway: who may see it, its session cookie, its event stream, and in headless Chromium
/// the figures it shows against `/metrics`.
@Suite("Dashboard", .serialized)
struct DashboardTests {
    static let admin = "bg-dashboard-admin-key"
    static let teamB = "bg-dashboard-team-b"

    /// `live` (not an admin), `team-b` (2 requests a minute) and `ops` (admin).
    static var keys: String {
        LiveGateway.keysYAML([(name: "team-b", key: teamB, quota: "{requests_per_minute: 2}")])
            + "\n  - name: ops\n    sha256: \(APIKeyDigest.sha256Hex(of: admin))\n    admin: true"
    }

    /// Status, headers and body of a request to `path` (`-i` output split).
    static func fetch(_ gateway: LiveGateway, _ path: String, _ extra: [String] = []) throws -> (
        status: Int, headers: String, body: String
    ) {
        let output = try gateway.curl(["-i", gateway.url(path)] + extra).output
        let parts = output.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, head, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("401 without a key, 403 for a key that is not admin; ?key= sets an HttpOnly Secure SameSite cookie")
    func access() throws {
        let gateway = try LiveGateway(keys: Self.keys)
        let none = try Self.fetch(gateway, "/dashboard")
        #expect(none.status == 401 && none.body.contains(#""code":"missing_api_key""#), "\(none)")
        let browser = try Self.fetch(gateway, "/dashboard", ["-H", "Accept: text/html"])
        #expect(browser.status == 401 && browser.body.contains(#"action="/dashboard/login""#))
        let user = try Self.fetch(gateway, "/dashboard", ["-H", "Authorization: Bearer \(LiveGateway.key)"])
        #expect(user.status == 403 && user.body.contains(#""code":"admin_required""#), "\(user)")
        #expect(user.body.contains(#""type":"permission_error""#))
        let events = try Self.fetch(gateway, "/dashboard/events", ["-H", "Authorization: Bearer \(LiveGateway.key)"])
        #expect(events.status == 403)
        #expect(try Self.fetch(gateway, "/dashboard/events").status == 401)
        let wrongLogin = try Self.fetch(gateway, "/dashboard/login", ["-d", "key=\(LiveGateway.key)"])
        #expect(wrongLogin.status == 403)
        let page = try Self.fetch(gateway, "/dashboard", ["-H", "Authorization: Bearer \(Self.admin)"])
        #expect(page.status == 200 && page.body.contains("new EventSource(\"/dashboard/events\")"))
        #expect(!page.body.contains("http://") && !page.body.contains("https://"), "the page loads nothing else")

        // Signing in: a cookie holding a session token, never the key, and a redirect that drops the key.
        let signIn = try Self.fetch(gateway, "/dashboard?key=\(Self.admin)")
        #expect(signIn.status == 303 && signIn.headers.lowercased().contains("location: /dashboard"))
        let cookieLine = try #require(
            signIn.headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
        #expect(
            cookieLine.contains("HttpOnly") && cookieLine.contains("Secure") && cookieLine.contains("SameSite=Strict"))
        #expect(!cookieLine.contains(Self.admin))
        let cookie = String(cookieLine.dropFirst("set-cookie:".count).split(separator: ";")[0])
            .trimmingCharacters(in: .whitespaces)
        #expect(try Self.fetch(gateway, "/dashboard", ["-H", "Cookie: \(cookie)"]).status == 200)
        let form = try Self.fetch(gateway, "/dashboard/login", ["-d", "key=\(Self.admin)"])
        #expect(form.status == 303 && form.headers.contains("batchgate_session="))
        #expect(try Self.fetch(gateway, "/dashboard", ["-H", "Cookie: batchgate_session=forged"]).status == 401)

        // The event stream: a snapshot a second, with the history first.
        let stream = try gateway.curl([
            "-N", "--max-time", "3", gateway.url("/dashboard/events"), "-H", "Cookie: \(cookie)",
        ])
        let messages = stream.output.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }
        #expect(messages.count >= 2, "\(stream.output.prefix(500))")
        #expect(messages.first?.contains(#""history":["#) == true)
        #expect(messages.dropFirst().first?.contains(#""point":{"#) == true)

        // Signing out ends the session.
        _ = try Self.fetch(gateway, "/dashboard/logout", ["-X", "POST", "-H", "Cookie: \(cookie)"])
        #expect(try Self.fetch(gateway, "/dashboard", ["-H", "Cookie: \(cookie)"]).status == 401)
    }

    @Test("SIGTERM with a dashboard event stream open: the stream ends and the gateway exits 0 within seconds")
    func shutdownWithStreamOpen() throws {
        let gateway = try LiveGateway(keys: Self.keys)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        let stream = Process()
        stream.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        stream.arguments = [
            "-s", "-N", "--cacert", gateway.certificate, "--max-time", "60", "-o", output.path,
            gateway.url("/dashboard/events"), "-H", "Authorization: Bearer \(Self.admin)",
        ]
        try stream.run()
        usleep(2_000_000)
        let signalled = ContinuousClock.now
        kill(gateway.process.processIdentifier, SIGTERM)
        gateway.process.waitUntilExit()
        let took = ContinuousClock.now - signalled
        stream.waitUntilExit()
        #expect(gateway.process.terminationStatus == 0, "\(gateway.logText)")
        #expect(took < .seconds(10), "the gateway took \(took) to stop with a stream open")
        let events = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(events.components(separatedBy: "data: ").count > 1, "\(events.prefix(300))")
    }

    @Test("In headless Chromium the live page shows the per-model and per-key figures /metrics shows")
    func browser() throws {
        let chromium = try #require(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            },
            "headless Chromium is needed (make test installs Debian's chromium)")
        try #require(
            FileManager.default.isExecutableFile(atPath: LiveGatewayTests.python),
            "no \(LiveGatewayTests.python): run `make venv`")
        let gateway = try LiveGateway(keys: Self.keys)
        // A small load: three requests of `live`, three of `team-b` (the third refused by its quota).
        for (key, tokens) in [
            (LiveGateway.key, 6), (LiveGateway.key, 3), (Self.teamB, 5), (LiveGateway.key, 2), (Self.teamB, 4),
            (Self.teamB, 1),
        ] {
            _ = try gateway.curl([
                gateway.url("/v1/chat/completions"), "-H", "Authorization: Bearer \(key)", "-H",
                "Content-Type: application/json", "-d",
                #"{"model":"tiny","messages":[{"role":"user","content":"load"}],"ignore_eos":true,"max_tokens":"#
                    + "\(tokens)}",
            ])
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dashboard-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let shot = directory.appendingPathComponent("dashboard.png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LiveGatewayTests.python)
        process.arguments = [
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "Python/dashboard_browser.py"
            ).path, chromium, gateway.url("/dashboard?key=\(Self.admin)"), shot.path,
            directory.appendingPathComponent("profile").path, "3",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "browser driver: \(problems)")
        let page = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        let models = try #require(page["models"] as? [String: [String: Any]])
        let keys = try #require(page["keys"] as? [String: [String: Any]])
        let tiny = try #require(models["tiny"])
        let metrics = MetricsExposition(try gateway.curl([gateway.url("/metrics")]).output)

        func shown(_ row: [String: Any]?, _ field: String) -> Double? { (row?[field] as? NSNumber)?.doubleValue }
        // Per model, as /metrics has them.
        #expect(shown(tiny, "requests") == metrics.sum("batchgate_requests_total", ["model": "tiny"]))
        #expect(shown(tiny, "requests") == 6)
        #expect(shown(tiny, "promptTokens") == metrics.value("batchgate_prompt_tokens_total", ["model": "tiny"]))
        #expect(
            shown(tiny, "generationTokens") == metrics.value("batchgate_generation_tokens_total", ["model": "tiny"]))
        #expect(shown(tiny, "generationTokens") == 20)
        #expect(shown(tiny, "waiting") == metrics.value("batchgate_num_requests_waiting", ["model": "tiny"]))
        #expect(shown(tiny, "running") == metrics.value("batchgate_num_requests_running", ["model": "tiny"]))
        #expect(shown(tiny, "kvUsage") == metrics.value("batchgate_kv_cache_usage_perc", ["model": "tiny"]))
        #expect(shown(tiny, "restarts") == metrics.value("batchgate_worker_restarts_total", ["model": "tiny"]))
        #expect(tiny["worker0Up"] as? Bool == true)
        // Per key, as /metrics has them (by name).
        for name in ["live", "team-b"] {
            let row = keys[name]
            #expect(shown(row, "requests") == metrics.sum("batchgate_key_requests_total", ["key": name]), "\(name)")
            #expect(shown(row, "promptTokens") == metrics.sum("batchgate_key_prompt_tokens_total", ["key": name]))
            #expect(
                shown(row, "generationTokens") == metrics.sum("batchgate_key_generation_tokens_total", ["key": name]))
            #expect(shown(row, "refusals") == metrics.sum("batchgate_quota_rejections_total", ["key": name]))
        }
        // Against the quota count the requests it let through: team-b's refused third is left out.
        #expect(shown(keys["live"], "requestsLastMinute") == 3 && shown(keys["team-b"], "requestsLastMinute") == 2)
        #expect(shown(keys["team-b"], "refusals") == 1 && shown(keys["live"], "refusals") == 0)
        #expect(shown(keys["team-b"], "generationTokens") == 9)
        #expect(shown(keys["ops"], "requests") == 0)
        #expect(page["recent"] as? Int == 6)
        #expect((page["charts"] as? Int ?? 0) >= 4)

        let png = try Data(contentsOf: shot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 1440 && height == 900)
        if let keep = ProcessInfo.processInfo.environment["DASHBOARD_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: shot, to: URL(fileURLWithPath: keep))
        }
    }
}

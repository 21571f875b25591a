import BatchgateConfig
import Foundation
import Testing

@testable import Gateway

/// The dashboard's parts without a gateway: sessions, reading the exposition, and the figures made of ticks.
@Suite("Dashboard parts")
struct DashboardUnitTests {
    @Test("A session token is random hex, names its key, ends when it expires or is closed, and is bounded")
    func sessions() async throws {
        let sessions = DashboardSessions(lifetime: .milliseconds(200), capacity: 2)
        let first = sessions.open(for: "ops")
        #expect(first.count == 64 && first.allSatisfy(\.isHexDigit))
        #expect(sessions.open(for: "ops") != first)
        #expect(sessions.key(of: first) == "ops")
        let third = sessions.open(for: "ops")
        #expect(sessions.key(of: first) == nil, "the oldest session goes when the store is full")
        sessions.close(third)
        #expect(sessions.key(of: third) == nil)
        let fourth = sessions.open(for: "ops")
        try await Task.sleep(for: .milliseconds(300))
        #expect(sessions.key(of: fourth) == nil)
        #expect(DashboardSessions.token(inCookieHeader: "a=b; batchgate_session=abc ; c=d") == "abc")
        #expect(DashboardSessions.token(inCookieHeader: "batchgate_sessionx=abc") == nil)
        let cookie = sessions.cookie("abc")
        #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"))
    }

    @Test("Ticks read counters and gauges per model, worker and key; rates come from two ticks")
    func ticksAndSnapshot() throws {
        func text(prompt: Int, generated: Int, requests: Int, refusals: Int) -> String {
            """
            # HELP batchgate_prompt_tokens_total x
            # TYPE batchgate_prompt_tokens_total counter
            batchgate_prompt_tokens_total{model="m"} \(prompt)
            batchgate_generation_tokens_total{model="m"} \(generated)
            batchgate_requests_total{model="m",status="200"} \(requests)
            batchgate_requests_total{model="m",status="429"} 1
            batchgate_num_requests_waiting{model="m"} 3
            batchgate_worker_up{model="m",worker="1"} 1
            batchgate_kv_blocks_used{model="m",worker="1"} 7
            batchgate_step_duration_seconds_sum{model="m"} 2.0
            batchgate_step_duration_seconds_count{model="m"} 100
            batchgate_key_requests_total{key="team",model="m"} \(requests)
            batchgate_key_generation_tokens_total{key="team",model="m"} \(generated)
            batchgate_quota_rejections_total{key="team",kind="requests",model="m"} \(refusals)
            """
        }
        let before = ExpositionReader.tick(text(prompt: 10, generated: 5, requests: 1, refusals: 0), time: 100)
        let after = ExpositionReader.tick(text(prompt: 40, generated: 25, requests: 3, refusals: 1), time: 102)
        #expect(after.models["m"]?.requests == 4 && after.models["m"]?.waiting == 3)
        #expect(after.models["m"]?.workers[1]?.kvUsed == 7 && after.models["m"]?.workers[1]?.up == 1)
        #expect(after.keys["team"]?.refusals == 1 && after.keys["team"]?.generationTokens == 25)
        let odd = ExpositionReader.labels(#"{key="a,\"b\\",model="m"}"#)
        #expect(odd["key"] == #"a,"b\"# && odd["model"] == "m", "a key name with a comma and a quote reads back whole")
        let key = BatchgateConfiguration.APIKey(
            name: "team", sha256: [], priority: 3, quotas: ["*": .init(requestsPerMinute: 60)])
        let snapshot = DashboardSnapshot(
            ticks: [before, after], models: ["m"], keys: [key], recent: [], withHistory: true)
        let model = try #require(snapshot.models.first)
        #expect(model.promptTokensPerSecond == 15 && model.generationTokensPerSecond == 10)
        #expect(model.stepMilliseconds == nil, "no step between the two ticks")
        let row = try #require(snapshot.keys.first)
        // Two more requests, one of them refused: one let through by the quota.
        #expect(row.requestsLastMinute == 1 && row.tokensLastMinute == 20 && row.requestsPerMinute == 60)
        #expect(row.priority == 3)
        #expect(snapshot.history?.count == 1 && snapshot.history?.first?.models["m"]?[1] == 10)
    }
}

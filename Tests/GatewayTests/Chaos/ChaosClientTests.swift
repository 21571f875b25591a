import Foundation
import Glibc
import Testing

/// Chaos from the outside: clients that leave at every point of a request's life, and reload signals in storms.
@Suite("Chaos: clients and signals", .serialized)
struct ChaosClientTests {
    @Test("Clients leaving at every point of a request's life: every request accounted for, no slot or KV block held")
    func disconnectsEverywhere() throws {
        let gateway = try LiveGateway(
            maxRunning: 2,
            keys: LiveGateway.keysYAML([("capped", "bg-capped", "{concurrent_requests: 8}")]))
        try ChaosScript.expectBalanced(
            "chaos_disconnect.py", against: gateway, key: "bg-capped", arguments: ["6", "2"])
        #expect(gateway.process.isRunning)
    }

    @Test("50 SIGHUPs in a second under traffic: every reload applied or refused cleanly, nothing lost")
    func reloadStorm() throws {
        let gateway = try LiveGateway()
        try ChaosScript.expectBalanced("chaos_load.py", against: gateway, arguments: ["6", "4"]) {
            usleep(1_500_000)
            for _ in 0..<50 {
                kill(gateway.process.processIdentifier, SIGHUP)
                usleep(20_000)
            }
        }
        #expect(gateway.process.isRunning)
        #expect(gateway.logText.contains("reload"), "\(gateway.logText.suffix(2000))")
        #expect(
            try gateway.curl(["-o", "/dev/null", "-w", "%{http_code}", gateway.url("/health/ready")]).output == "200")
    }
}

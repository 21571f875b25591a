import ArgumentParser
import Foundation
import LoadGenerator

extension BenchRunCommand {
    func run() async throws {
        let plan = try plan()
        BenchSession.runTasksOnEventLoops()
        let client = BenchSession.makeClient(insecure: insecure, connections: max(maxInFlight, concurrency ?? 0, 64))
        do {
            let report = try await StopOnInterrupt.run { try await measure(plan: plan, client: client) }
            try? await client.shutdown()
            print(ReportConsole.render(report))
            try write(report)
            // A run that measured nothing usable fails, so that a script does not take it for a result.
            if let shortfall = report.shortfall {
                ModelCommand.printError("batchgate bench: \(shortfall)")
                throw ExitCode.failure
            }
        } catch let error as ExitCode {
            throw error
        } catch let error as BenchError {
            try? await client.shutdown()
            ModelCommand.printError("error: \(error.message)")
            throw ExitCode.failure
        } catch {
            try? await client.shutdown()
            ModelCommand.printError("error: \(error)")
            throw ExitCode.failure
        }
    }

    private func measure(plan: Plan, client: BenchSession.Client) async throws -> BenchReport {
        var settings = BenchSettings(baseURL: url, model: model ?? "")
        settings.endpoint = plan.endpoint
        settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["OPENAI_API_KEY"]
        settings.insecure = insecure
        settings.duration = plan.duration
        settings.requests = requests
        settings.timeout = plan.timeout
        settings.maxInFlight = maxInFlight
        settings.serviceLevels = plan.serviceLevels
        settings.progress = !quiet
        if turns > 1 { settings.conversation = Conversation(turns: turns, thinkTime: plan.thinkTime) }
        if model == nil { settings.model = try await BenchSession.firstModel(client: client, settings: settings) }
        let source: PromptSource
        if let prompts {
            source = .jsonl(path: prompts, output: plan.maxTokens)
        } else if let tokenizer {
            source = .synthetic(
                prompt: plan.promptTokens, output: plan.maxTokens, counter: try LocalTokenCounter(path: tokenizer))
        } else {
            source = .synthetic(
                prompt: plan.promptTokens, output: plan.maxTokens,
                counter: RemoteTokenCounter(client: client, settings: settings))
        }
        let pool = try await PreparedRequest.pool(
            from: source, count: promptPool, settings: settings, ignoreEOS: ignoreEos, seed: seed,
            sharedPrefixTokens: sharedPrefixTokens)
        if let shape = plan.shape {
            settings.shape = shape
            return await BenchSession.run(client: client, settings: settings, pool: pool, seed: seed)
        }
        return await BenchSession.sweep(
            client: client, settings: settings, pool: pool, seed: seed, stepDuration: plan.stepDuration,
            sweep: Sweep(minimumStepRequests: minStepRequests, drainLimit: plan.drainTimeout))
    }

    private func write(_ report: BenchReport) throws {
        let outputs: [(String?, () throws -> Data)] = [
            (
                json,
                {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    return try encoder.encode(report)
                }
            ),
            (csv, { Data(ReportCSV.render(report).utf8) }),
            (html, { Data(ReportHTML.render(report).utf8) }),
        ]
        for case (let path?, let make) in outputs {
            do {
                try make().write(to: URL(fileURLWithPath: path))
            } catch {
                ModelCommand.printError("error: cannot write \(path): \(error.localizedDescription)")
                throw ExitCode.failure
            }
        }
    }
}

/// Runs a measurement so that the first Ctrl-C cancels it (it then returns what it measured) instead of killing
/// the process; a second Ctrl-C kills as usual.
enum StopOnInterrupt {
    static func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let (interrupts, continuation) = AsyncStream.makeStream(of: Void.self)
        source.setEventHandler {
            signal(SIGINT, SIG_DFL)
            continuation.yield()
        }
        source.resume()
        defer {
            source.cancel()
            continuation.finish()
            signal(SIGINT, SIG_DFL)
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                for await _ in interrupts { return nil }
                return nil
            }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
                group.cancelAll()
            }
            throw CancellationError()
        }
    }
}

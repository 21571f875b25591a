import BatchgateTestSupport
import Foundation
import Glibc
import Testing

extension LiveGatewayTests {
    /// `batchgate serve --demo`, as `make run` starts it, from an empty cache folder.
    @Suite("The demo")
    struct Demo {
        @Test("serve --demo serves SmolLM2, prints a curl line, and that line streams an answer in English")
        func demo() throws {
            let cache = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: cache) }
            let port = try LoopbackPort.free()
            let server = Process()
            server.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
            server.arguments = [
                "serve", "--demo", "--cache-dir", cache.path, "--port", "\(port)", "--demo-model",
                try WorkerSupport.smolLM2(),
            ]
            let output = Pipe()
            server.standardOutput = output
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer {
                kill(server.processIdentifier, SIGTERM)
                server.waitUntilExit()
            }
            // Read the banner until its curl line.
            var banner = ""
            let deadline = Date().addingTimeInterval(120)
            while !banner.contains("-d '{"), Date() < deadline, server.isRunning {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                banner += String(decoding: chunk, as: UTF8.self)
            }
            let line = try #require(
                banner.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("curl ") },
                "no curl line in: \(banner)")
            #expect(banner.contains("https://127.0.0.1:\(port)"))
            // The key the demo made is kept in a file of its owner's, which the curl line reads: standard output is not
            // a terminal here, so the key itself is not printed.
            let keyFile = cache.appendingPathComponent("demo/api-key").path
            let key = try String(contentsOfFile: keyFile, encoding: .utf8)
            #expect(key.count >= 16)
            #expect(!banner.contains(key), "the banner printed the key to a pipe: \(banner)")
            let permissions = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            // The worker may still be loading: the line is run as printed until it streams (a 503 first is fine).
            var answer = ""
            let answerDeadline = Date().addingTimeInterval(60)
            repeat {
                let shell = Process()
                shell.executableURL = URL(fileURLWithPath: "/bin/sh")
                shell.arguments = ["-c", String(line) + " 2>/dev/null"]
                let pipe = Pipe()
                shell.standardOutput = pipe
                try shell.run()
                answer = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                shell.waitUntilExit()
                if answer.contains("data: [DONE]") { break }
                usleep(200_000)
            } while Date() < answerDeadline
            #expect(answer.hasPrefix("data: {"), "\(answer)")
            #expect(answer.contains(#""object":"chat.completion.chunk""#))
            #expect(answer.hasSuffix("data: [DONE]\n\n"))
            // The streamed text is English.
            var text = ""
            for line in answer.split(separator: "\n") where line.hasPrefix("data: {") {
                let chunk = try JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any]
                let delta = ((chunk?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])
                text += delta?["content"] as? String ?? ""
            }
            let words = text.lowercased().split { !$0.isLetter && $0 != "'" }
            let common: Set<Substring> = [
                "i", "you", "a", "the", "to", "is", "and", "of", "in", "it", "can", "help", "how", "hello", "hi", "are",
                "with", "for", "what", "today", "my", "me", "your", "do", "am", "be", "this", "that", "there",
            ]
            // Sampled at temperature 1, the answer may be a short greeting; most of its characters are still plain
            // letters, spaces and punctuation, and it has a word of the list.
            let plain = text.unicodeScalars.filter {
                $0.isASCII && ($0.properties.isAlphabetic || " .,!?'-\n".unicodeScalars.contains($0))
            }
            #expect(words.count >= 2, "\(text)")
            #expect(Double(plain.count) >= 0.7 * Double(text.unicodeScalars.count), "not English: \(text)")
            #expect(words.contains { common.contains($0) }, "not English: \(text)")
        }

        @Test("serve --api-key never prints the key it was given: the banner's curl line names a variable instead")
        func givenKeyNotLogged() throws {
            let model = try WorkerSupport.tinyModel()
            let folder = (model as NSString).deletingLastPathComponent
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let port = try LoopbackPort.free()
            let key = "bg-given-key-\(UUID().uuidString)"
            let log = URL(fileURLWithPath: folder).appendingPathComponent("serve.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: try WorkerSupport.executable())
            server.arguments = [
                "serve", "--model", "tiny=\(model)", "--api-key", key, "--self-signed", "--cache-dir", folder, "--port",
                "\(port)",
            ]
            let handle = try FileHandle(forWritingTo: log)
            server.standardOutput = handle
            server.standardError = handle
            try server.run()
            defer {
                kill(server.processIdentifier, SIGTERM)
                server.waitUntilExit()
            }
            var text = ""
            let deadline = Date().addingTimeInterval(60)
            while !text.contains("-d '{"), Date() < deadline, server.isRunning {
                usleep(100_000)
                text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            }
            #expect(text.contains("Bearer $BATCHGATE_API_KEY"), "\(text)")
            // The key works, and the whole log, after a request, still does not hold it.
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            curl.arguments = [
                "-s", "-k", "--max-time", "30", "-o", "/dev/null", "-w", "%{http_code}",
                "https://127.0.0.1:\(port)/v1/models", "-H", "Authorization: Bearer \(key)",
            ]
            let pipe = Pipe()
            curl.standardOutput = pipe
            try curl.run()
            let status = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            #expect(status == "200")
            text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            #expect(!text.contains(key), "the log holds the key: \(text)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/api-key"), "a given key was written to disk")
        }
    }
}

import Foundation

/// The package's real module graph, read from `Package.swift` (each target's dependencies) and from the `import`
/// lines of its sources, and the allowed edges, read from `Docs/module-layers.txt`.
struct ModuleGraph {
    /// A target of `Package.swift`: its name, its source folder and the modules it depends on.
    struct Target {
        var name: String
        var folder: String
        var dependencies: Set<String>
    }

    /// Modules that come with the toolchain or the OS; importing them says nothing about our layers.
    static let systemModules: Set<String> = [
        "Foundation", "FoundationEssentials", "Glibc", "Darwin", "Musl", "Dispatch", "Synchronization",
        "_Concurrency", "os",
    ]

    /// The package root (three folders above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The non-test targets of `Package.swift`.
    static func targets() throws -> [Target] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var targets: [Target] = []
        for opening in [".target(", ".executableTarget(", ".systemLibrary("] {
            var rest = manifest[...]
            while let found = rest.range(of: opening) {
                let body = balanced(rest[found.upperBound...], open: "(", close: ")")
                rest = rest[found.upperBound...]
                guard let name = firstString(after: "name:", in: body) else { continue }
                let folder = firstString(after: "path:", in: body) ?? "Sources/\(name)"
                var dependencies: Set<String> = []
                if let list = body.range(of: "dependencies:") {
                    var items = balanced(body[list.upperBound...].drop { $0 != "[" }.dropFirst(), open: "[", close: "]")
                    for product in items.matches(of: /\.product\(name:\s*"([^"]+)"[^)]*\)/).reversed() {
                        dependencies.insert(String(product.1))
                        items.removeSubrange(product.range)
                    }
                    for target in items.matches(of: /"([^"]+)"/) { dependencies.insert(String(target.1)) }
                }
                targets.append(Target(name: name, folder: folder, dependencies: dependencies))
            }
        }
        return targets.sorted { $0.name < $1.name }
    }

    /// The modules the Swift files below `folder` import (system modules left out).
    static func imports(in folder: String) -> Set<String> {
        let directory = root.appendingPathComponent(folder)
        guard let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        var modules: Set<String> = []
        for case let file as URL in files where file.pathExtension == "swift" {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where line.contains("import ") {
                if let match = line.wholeMatch(
                    of: /\s*(?:@\w+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+).*/)
                {
                    modules.insert(String(match.1))
                }
            }
        }
        return modules.subtracting(systemModules)
    }

    /// `Docs/module-layers.txt`: for each module, the modules it may import or depend on.
    static func allowedEdges() throws -> [String: Set<String>] {
        let text = try String(contentsOf: root.appendingPathComponent("Docs/module-layers.txt"), encoding: .utf8)
        var allowed: [String: Set<String>] = [:]
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
            guard let colon = line.firstIndex(of: ":") else { continue }
            let module = line[..<colon].trimmingCharacters(in: .whitespaces)
            let targets = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "," })
            allowed[module, default: []].formUnion(targets.map(String.init))
        }
        return allowed
    }

    /// The text inside the brackets that `text` starts just after (the opening one already consumed).
    private static func balanced(_ text: Substring, open: Character, close: Character) -> Substring {
        var depth = 1
        var inString = false
        for index in text.indices {
            let character = text[index]
            if character == "\"" { inString.toggle() }
            if inString { continue }
            if character == open { depth += 1 }
            if character == close {
                depth -= 1
                if depth == 0 { return text[..<index] }
            }
        }
        return text
    }

    /// The first string literal after `label` in `text`, when `label` starts the list of arguments' first entry.
    private static func firstString(after label: String, in text: Substring) -> String? {
        guard let found = text.range(of: label) else { return nil }
        return text[found.upperBound...].firstMatch(of: /^\s*"([^"]+)"/).map { String($0.1) }
    }
}

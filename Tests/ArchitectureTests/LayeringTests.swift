import Testing

/// Lower layers never import upper ones: every module's `import` lines and `Package.swift` dependencies stay
/// within the edges `Docs/module-layers.txt` allows.
@Suite("Module layers")
struct LayeringTests {
    @Test("Every module imports and depends only on what Docs/module-layers.txt allows")
    func layering() throws {
        let allowed = try ModuleGraph.allowedEdges()
        let targets = try ModuleGraph.targets()
        #expect(targets.count > 10, "Package.swift was not read: \(targets.map(\.name))")
        var violations: [String] = []
        for target in targets {
            guard let permitted = allowed[target.name] else {
                violations.append("\(target.name) is not in Docs/module-layers.txt")
                continue
            }
            for module in ModuleGraph.imports(in: target.folder).subtracting(permitted).subtracting([target.name])
                .sorted()
            {
                violations.append("\(target.name) imports \(module)")
            }
            for module in target.dependencies.subtracting(permitted).sorted() {
                violations.append("\(target.name) depends on \(module) in Package.swift")
            }
        }
        #expect(violations.isEmpty, "not allowed by Docs/module-layers.txt:\n\(violations.joined(separator: "\n"))")
    }
}

// swift-tools-version:6.1
// Batchgate's benchmarks (package-benchmark), a package of their own so that the main build and `make test`
// never build the benchmark harness. Run from this folder: `swift package benchmark`.
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, so the root package's identity is the checkout's folder name.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootIdentity = root.lastPathComponent.lowercased()

let package = Package(
    name: "batchgate-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: root.path),
        .package(
            url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The scheduler's cost per step: 256 running sequences, 1,000 waiting.
        .executableTarget(
            name: "SchedulerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Scheduler", package: rootIdentity),
            ],
            path: "Benchmarks/SchedulerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)

// swift-tools-version:6.1
// Batchgate's benchmarks (package-benchmark), a package of their own so that the main build and `make test`
// never build the benchmark harness. Run from this folder: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "batchgate-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(
            url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The scheduler's cost per step: 256 running sequences, 1,000 waiting.
        .executableTarget(
            name: "SchedulerBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Scheduler", package: "batchgate"),
            ],
            path: "Benchmarks/SchedulerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)

// swift-tools-version:6.1
// Batchgate: an OpenAI-compatible gateway that batches requests per model onto CPU inference workers.
// Modules are layered as ../shared/DESIGN.md describes; lower layers never import upper ones.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

// The model-file, tokenizer, inference and shared-memory layers (and the ring tests' checkers) are compiled with
// optimisation even in debug builds: unoptimised, the kernels are about 40× slower and the rings far slower, which
// would make every test that runs a model, every worker process the tests spawn, and the ten-million-message ring
// test crawl.
let optimizedInDebug: [SwiftSetting] = strict + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "batchgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "batchgate", targets: ["batchgate"]),
        // For the package-benchmark suite in Benchmarks/.
        .library(name: "Scheduler", targets: ["Scheduler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The load generator: HTTP client and latency histograms.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Request tracing: the Tracing API, and its OTLP/HTTP exporter (the gRPC exporter is left out by trait).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.2"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
        // The state store: SQLite for one node, PostgreSQL for a cluster.
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // The bottom layer, imported by any module: one duration syntax, one seeded generator, `Duration` in units.
        .target(name: "Basics", swiftSettings: strict),

        // System and C layers.
        // OpenBLAS's cblas.h (sgemm for large F32 batches).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Thin C wrappers: process-shared futex, memfd_create, prctl, C11 atomics on shared-memory words.
        .target(name: "CShims"),
        // AVX2/FMA/F16C inner loops (Q8_0 and F16 matrix products), chosen at run time over the Swift kernels;
        // optimised in debug builds too, like the Swift layers above it.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // Model files, tokenizers and the inference core.
        // Reading and writing GGUF v3 model files; tensor types and their (de)quantization.
        .target(name: "GGUF", swiftSettings: optimizedInDebug),
        // Structured output: byte-level grammars (JSON, JSON Schema), their automaton and per-state token masks.
        .target(name: "Grammar", swiftSettings: optimizedInDebug),
        // Text to token ids and back, exactly as llama.cpp does it, plus chat templates.
        .target(name: "Tokenizers", dependencies: ["GGUF"], swiftSettings: optimizedInDebug),
        // Weights, kernels, paged KV cache, sampling, Engine.step; random-weight model builder.
        .target(
            name: "InferenceCore", dependencies: ["Basics", "GGUF", "Tokenizers", "Grammar", "CBLAS", "CKernels"],
            swiftSettings: optimizedInDebug),

        // The gateway-worker link.
        // Shared-memory segments, single-producer/single-consumer byte rings, doorbells, peer liveness.
        .target(name: "SharedMemory", dependencies: ["Basics", "CShims"], swiftSettings: optimizedInDebug),
        // Hello, Step, StepResult and their versioned little-endian binary codec.
        .target(name: "WorkerProtocol", swiftSettings: strict),
        // The worker process: attaches to its segment, loads the model, sends Hello, runs each Step as one Engine.step.
        // NIO and NIOSSL for the pipeline's mutual-TLS links between stages (the gateway's TLS stack, not a second one).
        .target(
            name: "Worker",
            dependencies: [
                "Basics", "WorkerTransport", "WorkerProtocol", "SharedMemory", "InferenceCore", "GGUF",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),

        // Per-model continuous batching, fairness, preemption, and supervision of the worker processes.
        .target(
            name: "Scheduler",
            dependencies: [
                "Basics", "WorkerProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The process link: spawning `batchgate worker` with its arguments, the gateway's end of its segment, the
        // worker's end, and the heartbeat both ends beat; implements the scheduler's WorkerLink and WorkerLauncher.
        .target(
            name: "WorkerTransport", dependencies: ["Basics", "Scheduler", "SharedMemory", "WorkerProtocol"],
            swiftSettings: strict),

        // The YAML configuration: schema, defaults, validation with file/line/column errors, API key digests.
        .target(
            name: "BatchgateConfig",
            dependencies: [
                "Basics",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // Usage records, quota leases and node membership: SQLite alone, PostgreSQL for a cluster; versioned schema.
        .target(
            name: "StateStore",
            dependencies: [
                "Basics",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The OpenAI API's request and response types, their fast JSON scanner and writer, stop strings, SSE framing.
        .target(
            name: "OpenAIAPI", dependencies: [.product(name: "NIOCore", package: "swift-nio")], swiftSettings: strict),

        // The front door: OpenAI-compatible API over TLS (HTTP/1.1 and HTTP/2), API keys, admission, SSE,
        // health, Prometheus metrics, graceful shutdown.
        .target(
            name: "Gateway",
            dependencies: [
                "Basics", "Scheduler", "OpenAIAPI", "Tokenizers", "BatchgateConfig", "Grammar", "StateStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
                // Routing: the proxy to a peer node (streamed, over TLS).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),

        // `batchgate bench`: open/closed-loop load against an OpenAI-compatible server, HdrHistogram latencies, reports.
        .target(
            name: "LoadGenerator",
            dependencies: [
                "Basics",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // A streaming OpenAI-shaped server with exact timing, for the load generator's tests and benchmark.
        .target(
            name: "LoadGeneratorStub",
            dependencies: [
                "Basics",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // The command line; the only place that wires modules together.
        .executableTarget(
            name: "batchgate",
            dependencies: [
                "BatchgateConfig", "GGUF", "Tokenizers", "InferenceCore", "WorkerProtocol", "Worker", "WorkerTransport",
                "Scheduler", "Gateway", "LoadGenerator", "LoadGeneratorStub", "CShims", "StateStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Lower layers never import upper ones: Docs/module-layers.txt against Package.swift and the imports.
        .testTarget(name: "ArchitectureTests", swiftSettings: strict),
        .testTarget(name: "BasicsTests", dependencies: ["Basics"], swiftSettings: strict),
        .testTarget(name: "GGUFTests", dependencies: ["GGUF", "Basics"], exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF", "Basics"], swiftSettings: strict),
        .testTarget(name: "GrammarTests", dependencies: ["Grammar", "BatchgateTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "InferenceCoreTests",
            dependencies: ["Basics", "InferenceCore", "GGUF", "BatchgateTestSupport"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SharedMemoryTests", dependencies: ["SharedMemory", "Basics"], swiftSettings: optimizedInDebug),
        .testTarget(
            name: "WorkerTransportTests", dependencies: ["WorkerTransport", "SharedMemory"], swiftSettings: strict),
        .testTarget(name: "WorkerProtocolTests", dependencies: ["WorkerProtocol", "Basics"], swiftSettings: strict),
        // Helpers the multi-process tests share: tiny models on real vocabularies, finding and spawning `batchgate`.
        .target(
            name: "BatchgateTestSupport", dependencies: ["InferenceCore"], path: "Tests/Support", swiftSettings: strict),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Worker", "WorkerProtocol", "WorkerTransport", "SharedMemory", "InferenceCore", "BatchgateTestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: [
                "Basics", "Scheduler", "WorkerProtocol", "Worker", "WorkerTransport", "InferenceCore",
                "BatchgateTestSupport", .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "StateStoreTests", dependencies: ["StateStore", "BatchgateTestSupport"], swiftSettings: strict),
        // Three `batchgate serve` processes on one PostgreSQL (Docs/cluster.md, "The cluster test").
        .testTarget(
            name: "ClusterTests", dependencies: ["BatchgateConfig", "BatchgateTestSupport", "StateStore"],
            swiftSettings: strict),
        .testTarget(name: "BatchgateConfigTests", dependencies: ["BatchgateConfig"], swiftSettings: strict),
        .testTarget(
            name: "CLITests", dependencies: ["batchgate", "BatchgateTestSupport", "StateStore"], swiftSettings: strict),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "OpenAIAPI", "Scheduler", "WorkerProtocol", "Worker", "InferenceCore", "BatchgateConfig",
                "Grammar", "StateStore",
                "BatchgateTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Python"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LoadGeneratorTests", dependencies: ["Basics", "LoadGenerator", "LoadGeneratorStub", "Tokenizers"],
            swiftSettings: strict),

        // The check of one input for each fuzz target (parsers of outside bytes and their invariants), shared by the
        // libFuzzer binary and the corpus replay test.
        .target(
            name: "FuzzTargets",
            dependencies: ["GGUF", "Tokenizers", "OpenAIAPI", "BatchgateConfig", "WorkerProtocol", "LoadGenerator"],
            swiftSettings: strict),
        // Every committed corpus and crash input of Fuzz/, through the same checks, without building the fuzzer.
        .testTarget(name: "FuzzReplayTests", dependencies: ["FuzzTargets"], swiftSettings: strict),
    ]
)

// `make fuzz` (scripts/fuzz.sh) builds with BATCHGATE_FUZZ set, in its own scratch path: the parsers and the checks
// get libFuzzer's coverage and AddressSanitizer, and one libFuzzer binary runs the target FUZZ_TARGET names.
// Ordinary builds never see it.
if Context.environment["BATCHGATE_FUZZ"] != nil {
    let sanitizers: [String] = ["-sanitize=fuzzer,address"]
    let instrumented: Set<String> = [
        "GGUF", "Tokenizers", "OpenAIAPI", "BatchgateConfig", "WorkerProtocol", "LoadGenerator", "FuzzTargets",
    ]
    for target in package.targets where instrumented.contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(sanitizers)]
    }
    package.targets.append(
        .executableTarget(
            name: "BatchgateFuzz", dependencies: ["FuzzTargets"], path: "Fuzz/Driver",
            swiftSettings: strict + [.unsafeFlags(sanitizers)], linkerSettings: [.unsafeFlags(sanitizers)]))
}

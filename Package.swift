// swift-tools-version:6.1
// Batchgate: an OpenAI-compatible gateway that batches requests per model onto CPU inference workers.
// Modules are layered as ../shared/DESIGN.md describes; lower layers never import upper ones.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "batchgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "batchgate", targets: ["batchgate"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // System and C layers.
        // OpenBLAS's cblas.h (sgemm for large F32 batches).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Thin C wrappers: process-shared futex, memfd_create, prctl, C11 atomics on shared-memory words.
        .target(name: "CShims"),
        // AVX2/FMA/F16C inner loops (Q8_0 and F16 matrix products), chosen at run time over the Swift kernels.
        .target(name: "CKernels"),

        // Model files, tokenizers and the inference core.
        // Reading and writing GGUF v3 model files; tensor types and their (de)quantization.
        .target(name: "GGUF", swiftSettings: strict),
        // Text to token ids and back, exactly as llama.cpp does it, plus chat templates.
        .target(name: "Tokenizers", dependencies: ["GGUF"], swiftSettings: strict),
        // Weights, kernels, paged KV cache, sampling, Engine.step; random-weight model builder.
        .target(
            name: "InferenceCore", dependencies: ["GGUF", "Tokenizers", "CBLAS", "CKernels"], swiftSettings: strict),

        // The gateway-worker link.
        // Shared-memory segments, single-producer/single-consumer byte rings, doorbells, peer liveness.
        .target(name: "SharedMemory", dependencies: ["CShims"], swiftSettings: strict),
        // Hello, Step, StepResult and their versioned little-endian binary codec.
        .target(name: "WorkerProtocol", dependencies: ["SharedMemory"], swiftSettings: strict),
        // The worker process: maps its segment, sends Hello, runs each Step as one Engine.step.
        .target(name: "Worker", dependencies: ["WorkerProtocol", "InferenceCore"], swiftSettings: strict),

        // The YAML configuration: schema, defaults, validation with file/line/column errors, API key digests.
        .target(
            name: "BatchgateConfig",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // The command line; the only place that wires modules together.
        .executableTarget(
            name: "batchgate",
            dependencies: [
                "BatchgateConfig", "GGUF", "Tokenizers", "InferenceCore", "WorkerProtocol", "Worker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "GGUFTests", dependencies: ["GGUF"], exclude: ["Golden"], swiftSettings: strict),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "GGUF"], swiftSettings: strict),
        .testTarget(
            name: "InferenceCoreTests",
            dependencies: ["InferenceCore", "GGUF"],
            exclude: ["Golden"],
            swiftSettings: strict
        ),
        .testTarget(name: "SharedMemoryTests", dependencies: ["SharedMemory"], swiftSettings: strict),
        .testTarget(name: "WorkerProtocolTests", dependencies: ["WorkerProtocol"], swiftSettings: strict),
        .testTarget(
            name: "WorkerTests",
            dependencies: ["Worker", "WorkerProtocol", "SharedMemory", "InferenceCore"],
            swiftSettings: strict
        ),
        .testTarget(name: "BatchgateConfigTests", dependencies: ["BatchgateConfig"], swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["batchgate"], swiftSettings: strict),
    ]
)

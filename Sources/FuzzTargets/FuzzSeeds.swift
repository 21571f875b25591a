import Foundation
import GGUF
import WorkerProtocol

/// Small valid inputs each target's corpus starts from (`batchgate-fuzz --write-seeds` writes them into
/// `Fuzz/Corpus/TARGET/`); the fuzzer mutates them into what reaches deeper than random bytes would.
public enum FuzzSeeds {
    /// The seeds of the target called `name` (empty for an unknown name).
    public static func seeds(for name: String) -> [[UInt8]] {
        switch name {
        case "worker-protocol": workerProtocol
        case "stage-protocol": stageProtocol
        case "gguf": gguf
        case "request-json": requestBodies.map { Array($0.utf8) }
        case "sse": sseStreams.map { [3] + Array($0.utf8) }
        case "tokenizer": tokenizerTexts
        case "config": configurations.map { Array($0.utf8) }
        default: []
        }
    }

    /// One message of each kind, with and without the optional parts.
    static var workerProtocol: [[UInt8]] {
        let sampling = SamplingParameters(
            temperature: 0.7, topK: 40, topP: 0.9, seed: 7, logitBias: [LogitBias(token: 5, bias: -1)],
            logprobs: true, topLogprobs: 2, maxTokens: 8, stopTokens: [2],
            constraint: OutputConstraintParameters(.jsonSchema(#"{"type":"object"}"#), generatedPrefix: 1))
        let messages: [WorkerMessage] = [
            .hello(
                Hello(
                    processID: 42, modelName: "tiny", architecture: "llama", vocabularySize: 32_000,
                    contextLength: 2048, kvBlockSize: 16, kvBlocksTotal: 512, maxBatchTokens: 256)),
            .step(Step(stepID: 1)),
            .step(
                Step(
                    stepID: 2,
                    admit: [
                        Admission(
                            sequenceID: 9, firstPosition: 0, tokens: [1, 15, 200], isLastChunk: true,
                            sampling: sampling),
                        Admission(sequenceID: 10, firstPosition: 64, tokens: [7], isLastChunk: false),
                    ], decode: [3, 4], release: [5])),
            .stepResult(StepResult(stepID: 3)),
            .stepResult(
                StepResult(
                    stepID: 4,
                    tokens: [
                        SampledToken(
                            sequenceID: 9, token: 17, logprob: -0.5,
                            topLogprobs: [TokenLogprob(token: 17, logprob: -0.5)], kvBlocksHeld: 2,
                            finish: .maxTokens)
                    ],
                    errors: [SequenceError(sequenceID: 11, code: .unknownSequence, message: "no such sequence")],
                    forwardNanoseconds: 1_000, kvBlocksFree: 100, kvBlocksCached: 3, kvEvictions: 1,
                    prefixHits: [PrefixHit(sequenceID: 9, position: 0, cachedTokens: 16)])),
        ]
        return messages.map { message in
            var bytes: [UInt8] = []
            message.encode(into: &bytes)
            return bytes
        }
    }

    /// Three small files: metadata of every value type with a tensor of each of two types, a SentencePiece
    /// vocabulary, and a byte-level BPE vocabulary with merges.
    static var gguf: [[UInt8]] {
        var plain = GGUFWriter()
        plain.set("general.architecture", .string("llama"))
        plain.set("general.alignment", .uint32(32))
        plain.set("a.u8", .uint8(1))
        plain.set("a.i16", .int16(-2))
        plain.set("a.f32", .float32(0.5))
        plain.set("a.f64", .float64(-1.25))
        plain.set("a.bool", .bool(true))
        plain.set("a.u64", .uint64(1 << 40))
        plain.set("a.nested", .array(elementType: .array, values: [.array(elementType: .int32, values: [.int32(3)])]))
        try? plain.addTensor(name: "weight", type: .f32, shape: [4, 2], floats: Array(repeating: 1, count: 8))
        try? plain.addTensor(name: "q", type: .q8_0, shape: [32], floats: Array(repeating: 0.25, count: 32))

        var spm = GGUFWriter()
        let pieces = ["<unk>", "<s>", "</s>", "\u{2581}", "a", "b", "\u{2581}a", "ab", "<0x41>", "<0xC3>"]
        spm.set("tokenizer.ggml.model", .string("llama"))
        spm.set("tokenizer.ggml.tokens", .array(elementType: .string, values: pieces.map { .string($0) }))
        spm.set(
            "tokenizer.ggml.scores", .array(elementType: .float32, values: pieces.indices.map { .float32(-Float($0)) }))
        spm.set(
            "tokenizer.ggml.token_type",
            .array(elementType: .int32, values: [2, 3, 3, 1, 1, 1, 1, 1, 6, 6].map { .int32($0) }))
        spm.set("tokenizer.ggml.bos_token_id", .uint32(1))
        spm.set("tokenizer.ggml.eos_token_id", .uint32(2))

        var bpe = GGUFWriter()
        let tokens = ["h", "e", "l", "o", "\u{120}", "he", "ll", "hell", "hello", "<|endoftext|>"]
        bpe.set("tokenizer.ggml.model", .string("gpt2"))
        bpe.set("tokenizer.ggml.pre", .string("qwen2"))
        bpe.set("tokenizer.ggml.tokens", .array(elementType: .string, values: tokens.map { .string($0) }))
        bpe.set(
            "tokenizer.ggml.token_type",
            .array(elementType: .int32, values: [1, 1, 1, 1, 1, 1, 1, 1, 1, 3].map { .int32($0) }))
        bpe.set(
            "tokenizer.ggml.merges",
            .array(elementType: .string, values: ["h e", "l l", "he ll", "hell o"].map { .string($0) }))
        bpe.set("tokenizer.ggml.eos_token_id", .uint32(9))

        return [plain, spm, bpe].compactMap { writer in
            let path = NSTemporaryDirectory() + "batchgate-fuzz-seed-\(getpid()).gguf"
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard (try? writer.write(to: path)) != nil else { return nil }
            return FileManager.default.contents(atPath: path).map { Array($0) }
        }
    }

    /// Request bodies of both kinds, plain and unusual, valid and not.
    static let requestBodies: [String] = [
        #"{"model":"tiny","prompt":[1,15,200,37],"max_tokens":1,"temperature":0}"#,
        #"{"model":"tiny","prompt":"Once upon a time","max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}"#,
        #"{"model":"tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}]}"#,
        #"{"model":"tiny","prompt":["one text"],"stop":["\n\n","END"],"seed":-42,"top_k":40,"top_p":0.95,"min_p":0.05}"#,
        #"{"model":"tiny","prompt":"x","stop":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","logprobs":3,"presence_penalty":-1.5e0}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":"caf\u00e9"}],"logprobs":true,"top_logprobs":5}"#,
        #"{"model":"tiny","prompt":"x","logit_bias":{"15":-100,"200":2.5},"frequency_penalty":0.25E+1}"#,
        #"{"model":"tiny","prompt":"x","max_completion_tokens":9,"temperature":null,"unknown":{"deep":[1,{"a":[]}]}}"#,
        #"{"model":"tiny","prompt":"x","max_tokens":16.0,"n":1,"echo":false,"ignore_eos":true,"user":"u"}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#,
        #"{"model":"tiny","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object","properties":{"b":{"type":"integer"},"a":{"type":"string"}},"required":["a"]},"strict":true}}}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}"#,
        #"{"model":"tiny","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],"tool_choice":"auto","parallel_tool_calls":false}"#,
        #"{"model":"tiny","prompt":"x","model":"other"}"#,
        #"{"model":"tiny","prompt":[1,2147483648],"temperature":1e400}"#,
        #"{"model":"tiny","prompt":"\ud800","logprobs":2.5}"#,
        #"{"model":"tiny","prompt":01,}"#,
        "[1,2]",
    ]

    /// Streams as Batchgate, llama-server and an error path send them.
    static let sseStreams: [String] = [
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"
            + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":4}}}\n\ndata: [DONE]\n\n",
        "data: {\"choices\":[{\"text\":\" once\",\"index\":0}]}\r\n\r\n: comment\r\ndata: [DONE]\r\n\r\n",
        "data: {\"error\":{\"message\":\"worker died\",\"type\":\"server_error\"}}\n\n",
    ]

    /// Texts for each vocabulary and mode: mixed scripts, spaces, digits, control tokens and bytes that are not
    /// UTF-8.
    static var tokenizerTexts: [[UInt8]] {
        let texts = [
            "Hello, world! It's 2024 and  spaces\tand\nnewlines.", "café 日本語 🦙 ▁x", "<s>[INST] hi [/INST]</s>",
            "<|im_start|>user\nhi<|im_end|>", "   ", "don't 'quote' ?!.,",
        ]
        var seeds: [[UInt8]] = []
        for vocabulary in 0..<4 {
            for mode in 0..<2 {
                for text in texts { seeds.append([UInt8(vocabulary | mode << 2)] + Array(text.utf8)) }
            }
            seeds.append([UInt8(vocabulary), 0x68, 0xC3, 0x28, 0xFF, 0xE2, 0x82])
            seeds.append([UInt8(vocabulary | 2 << 2 | 0x10), 1, 0, 0, 2, 0, 0, 0x41, 0x01, 0, 0xFF, 0xFF, 0xFF])
        }
        return seeds
    }

    /// The shape of `Config/batchgate.yaml`, with a key and a model file that is missing.
    static let configurations: [String] = [
        """
        listener:
          host: 127.0.0.1
          port: 8443
        tls:
          certificate: cert.pem
          private_key: key.pem
        models:
          - name: tiny
            file: tiny.gguf
            workers: 2
            max_batch_tokens: 512
        keys:
          - name: team-a
            sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
            models: [tiny]
            priority: high
            quotas:
              tiny: { requests_per_minute: 60, tokens_per_minute: 10000, concurrent: 2 }
        metrics:
          enabled: true
        logging:
          level: info
        """,
        "models: []\nkeys: [ {name: x, admin: true} ]\n",
        "listener: {port: 99999}\ntls: {mode: off}\n",
        "&a [*a]\n",
        "? [a, b]\n: c\n--- \nx: !!binary aGk=\n",
    ]
}

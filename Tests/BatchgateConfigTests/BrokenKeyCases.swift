@testable import BatchgateConfig

private let sha = Fixture.digestA

/// Broken `keys:` entries: unknown models, quotas, digests, names, priorities, expiry.
let brokenKeyCases: [BrokenCase] = [
    BrokenCase(
        name: "key allowed an unknown model",
        yaml: baseYAML + "keys:\n  - name: ci\n    sha256: \(sha)\n    models: [m, nope]\n",
        expected: [.init(10, 17, "keys[0].models[1]", "key 'ci' allows unknown model 'nope'", .unknownModel)]
    ),
    BrokenCase(
        name: "quota for an unknown model",
        yaml: baseYAML
            + "keys:\n  - name: ci\n    sha256: \(sha)\n    quotas:\n      nope:\n        requests_per_minute: 5\n",
        expected: [.init(11, 7, "keys[0].quotas[\"nope\"]", "quota for unknown model 'nope'", .unknownModel)]
    ),
    BrokenCase(
        name: "quota for a model the key may not use",
        yaml: baseYAML + "  - name: n\n    path: model.gguf\n"
            + "keys:\n  - name: ci\n    sha256: \(sha)\n    models: [m]\n    quotas:\n      n: {}\n",
        expected: [
            .init(14, 7, "keys[0].quotas[\"n\"]", "quota for model 'n', which key 'ci' may not use", .unknownModel)
        ]
    ),
    BrokenCase(
        name: "zero quota",
        yaml: baseYAML
            + "keys:\n  - name: ci\n    sha256: \(sha)\n    quotas:\n      \"*\": {concurrent_requests: 0}\n",
        expected: [
            .init(
                11,
                34,
                "keys[0].quotas[\"*\"].concurrent_requests",
                "must be greater than 0, found 0",
                .outOfRange
            )
        ]
    ),
    BrokenCase(
        name: "negative quota",
        yaml: baseYAML
            + "keys:\n  - name: ci\n    sha256: \(sha)\n    quotas:\n      m:\n        tokens_per_minute: -5\n",
        expected: [
            .init(12, 28, "keys[0].quotas[\"m\"].tokens_per_minute", "must be greater than 0, found -5", .outOfRange)
        ]
    ),
    BrokenCase(
        name: "malformed SHA-256",
        yaml: baseYAML + "keys:\n  - name: ci\n    sha256: abc123\n",
        expected: [
            .init(
                9,
                13,
                "keys[0].sha256",
                "malformed SHA-256 digest: expected 64 hexadecimal characters",
                .malformedDigest
            )
        ]
    ),
    BrokenCase(
        name: "malformed second digest of a rotation",
        yaml: baseYAML + "keys:\n  - name: ci\n    sha256:\n      - \(sha)\n      - \(String(sha.dropLast()))g\n",
        expected: [
            .init(
                11,
                9,
                "keys[0].sha256[1]",
                "malformed SHA-256 digest: expected 64 hexadecimal characters",
                .malformedDigest
            )
        ]
    ),
    BrokenCase(
        name: "three digests",
        yaml: baseYAML + "keys:\n  - name: ci\n    sha256: [\(sha), \(Fixture.digestB), \(sha)]\n",
        expected: [
            .init(9, 13, "keys[0].sha256", "must list 1 or 2 digests (2 while rotating), found 3", .invalidValue)
        ]
    ),
    BrokenCase(
        name: "digest used by two keys, in different case",
        yaml: baseYAML + "keys:\n  - name: a\n    sha256: \(sha)\n  - name: b\n    sha256: \(sha.uppercased())\n",
        expected: [
            .init(
                11,
                13,
                "keys[1].sha256",
                "duplicate SHA-256 digest (already used by key 'a' at line 9)",
                .duplicate
            )
        ]
    ),
    BrokenCase(
        name: "duplicate key name",
        yaml: baseYAML + "keys:\n  - name: a\n    sha256: \(sha)\n  - name: a\n    sha256: \(Fixture.digestB)\n",
        expected: [.init(10, 11, "keys[1].name", "duplicate key name 'a' (first defined at line 8)", .duplicate)]
    ),
    BrokenCase(
        name: "priority out of range",
        yaml: baseYAML + "keys:\n  - name: a\n    sha256: \(sha)\n    priority: 10\n",
        expected: [.init(10, 15, "keys[0].priority", "must be between 0 and 9, found 10", .outOfRange)]
    ),
    BrokenCase(
        name: "wildcard mixed with model names",
        yaml: baseYAML + "keys:\n  - name: a\n    sha256: \(sha)\n    models: [\"*\", m]\n",
        expected: [.init(10, 13, "keys[0].models", "\"*\" must be the only entry when present", .invalidValue)]
    ),
    BrokenCase(
        name: "unparseable expiry",
        yaml: baseYAML + "keys:\n  - name: a\n    sha256: \(sha)\n    expires: next week\n",
        expected: [
            .init(
                10,
                14,
                "keys[0].expires",
                "expected a date \"YYYY-MM-DD\" or an RFC 3339 timestamp, found string \"next week\"",
                .invalidValue
            )
        ]
    ),
]

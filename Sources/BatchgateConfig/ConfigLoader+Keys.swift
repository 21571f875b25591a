import Foundation
import Yams

extension NodeReader {
    static let apiKeyKeys = ["name", "sha256", "models", "priority", "expires", "quotas", "admin"]
    static let quotaKeys = ["requests_per_minute", "tokens_per_minute", "concurrent_requests"]

    /// `keys:`; an absent or empty list is allowed with a warning, since the gateway then refuses every request.
    mutating func readKeys(_ root: Fields, models: ParsedModels) -> [BatchgateConfiguration.APIKey] {
        guard let entry = root["keys"] else {
            let place = root.entries.first { $0.key == "keys" }?.keyNode ?? root.node
            warn(.noAPIKeys, "no API keys: every request will be refused with 401", at: place, path: "keys")
            return []
        }
        guard let items = list(entry.value, path: entry.path) else { return [] }
        if items.isEmpty {
            warn(.noAPIKeys, "no API keys: every request will be refused with 401", at: entry.keyNode, path: entry.path)
        }
        var keys: [BatchgateConfiguration.APIKey] = []
        var nameLines: [String: Int] = [:]
        var digestOwners: [String: (name: String, line: Int)] = [:]
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            guard let fields = fields(item, path: path, allowed: Self.apiKeyKeys) else { continue }
            var name: String?
            if let nameEntry = required(fields, "name"), let text = string(nameEntry.value, path: nameEntry.path) {
                let line = nameEntry.value.mark?.line ?? 0
                if text.isEmpty {
                    report(.invalidValue, "must not be empty", at: nameEntry.value, path: nameEntry.path)
                } else if let first = nameLines[text] {
                    report(
                        .duplicate,
                        "duplicate key name '\(text)' (first defined at line \(first))",
                        at: nameEntry.value,
                        path: nameEntry.path
                    )
                } else {
                    nameLines[text] = line
                }
                name = text
            }
            let keyName = name ?? "#\(index)"
            let digests = readDigests(fields, keyName: keyName, owners: &digestOwners)
            let access = readModelAccess(fields, keyName: keyName, models: models)
            let priority = int(fields, "priority", default: 0, range: 0...9)
            let expires = readExpiry(fields, keyName: keyName)
            let quotas = readQuotas(fields, keyName: keyName, access: access, models: models)
            let admin = bool(fields, "admin", default: false)
            if let name, let digests {
                keys.append(
                    BatchgateConfiguration.APIKey(
                        name: name,
                        sha256: digests,
                        models: access,
                        priority: priority,
                        expires: expires,
                        quotas: quotas,
                        admin: admin
                    )
                )
            }
        }
        return keys
    }

    /// `sha256:` — one digest, or a list of one or two during a rotation; unique across keys, stored lowercase.
    private mutating func readDigests(
        _ fields: Fields,
        keyName: String,
        owners: inout [String: (name: String, line: Int)]
    ) -> [String]? {
        guard let entry = required(fields, "sha256") else { return nil }
        var nodes: [(node: Node, path: String)]
        if case .sequence(let sequence) = entry.value {
            nodes = sequence.enumerated().map { ($0.element, "\(entry.path)[\($0.offset)]") }
            if !(1...2).contains(nodes.count) {
                report(
                    .invalidValue,
                    "must list 1 or 2 digests (2 while rotating), found \(nodes.count)",
                    at: entry.value,
                    path: entry.path
                )
                return nil
            }
        } else {
            nodes = [(entry.value, entry.path)]
        }
        var digests: [String] = []
        for (node, path) in nodes {
            guard let text = string(node, path: path) else { continue }
            guard APIKeyDigest.isWellFormedDigest(text) else {
                report(
                    .malformedDigest,
                    "malformed SHA-256 digest: expected 64 hexadecimal characters",
                    at: node,
                    path: path
                )
                continue
            }
            let digest = text.lowercased()
            let line = node.mark?.line ?? 0
            if let owner = owners[digest] {
                report(
                    .duplicate,
                    "duplicate SHA-256 digest (already used by key '\(owner.name)' at line \(owner.line))",
                    at: node,
                    path: path
                )
                continue
            }
            owners[digest] = (keyName, line)
            digests.append(digest)
        }
        return digests.count == nodes.count ? digests : nil
    }

    /// `models:` of a key — `["*"]` (the default) or names of configured models.
    private mutating func readModelAccess(
        _ fields: Fields,
        keyName: String,
        models: ParsedModels
    ) -> BatchgateConfiguration.ModelAccess {
        guard let entry = fields["models"], let items = list(entry.value, path: entry.path) else { return .all }
        if items.isEmpty {
            report(.invalidValue, "must list at least one model, or \"*\" for all", at: entry.value, path: entry.path)
            return .only([])
        }
        var names: [String] = []
        var wildcard = false
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            guard let name = string(item, path: path) else { continue }
            if name == "*" {
                wildcard = true
            } else if !models.names.contains(name) {
                report(.unknownModel, "key '\(keyName)' allows unknown model '\(name)'", at: item, path: path)
            } else if !names.contains(name) {
                names.append(name)
            }
        }
        if wildcard {
            if items.count > 1 {
                report(.invalidValue, "\"*\" must be the only entry when present", at: entry.value, path: entry.path)
            }
            return .all
        }
        return .only(names)
    }

    /// `expires:` — `YYYY-MM-DD` (valid through the end of that day, UTC) or an RFC 3339 timestamp.
    private mutating func readExpiry(_ fields: Fields, keyName: String) -> Date? {
        guard let entry = fields["expires"], let text = string(entry.value, path: entry.path) else { return nil }
        guard let date = Self.parseExpiry(text) else {
            report(
                .invalidValue,
                "expected a date \"YYYY-MM-DD\" or an RFC 3339 timestamp, found \(entry.value.typeDescription)",
                at: entry.value,
                path: entry.path
            )
            return nil
        }
        if date <= Date() {
            warn(.expiredKey, "key '\(keyName)' expired on \(text); it is refused", at: entry.value, path: entry.path)
        }
        return date
    }

    /// The instant a key stops working: the start of the next day (UTC) for a date, the instant for a timestamp.
    static func parseExpiry(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if text.utf8.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2]), parts[0].count == 4, parts[1].count == 2, parts[2].count == 2
        {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            let components = DateComponents(year: year, month: month, day: day)
            guard components.isValidDate(in: calendar), let start = calendar.date(from: components) else { return nil }
            return calendar.date(byAdding: .day, value: 1, to: start)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// `quotas:` — model name or `"*"` → limits; a named model must exist and be allowed to the key.
    private mutating func readQuotas(
        _ fields: Fields,
        keyName: String,
        access: BatchgateConfiguration.ModelAccess,
        models: ParsedModels
    ) -> [String: BatchgateConfiguration.Quota] {
        guard let entry = fields["quotas"], case .mapping(let mapping) = entry.value else {
            if let entry = fields["quotas"] { wrongType(expected: "a mapping", at: entry.value, path: entry.path) }
            return [:]
        }
        var quotas: [String: BatchgateConfiguration.Quota] = [:]
        for (keyNode, value) in mapping {
            guard let model = string(keyNode, path: entry.path) else { continue }
            let path = "\(entry.path)[\"\(model)\"]"
            if model != "*" {
                if !models.names.contains(model) {
                    report(.unknownModel, "quota for unknown model '\(model)'", at: keyNode, path: path)
                } else if !access.allows(model) {
                    report(
                        .unknownModel,
                        "quota for model '\(model)', which key '\(keyName)' may not use",
                        at: keyNode,
                        path: path
                    )
                }
            }
            guard let limits = self.fields(value, path: path, allowed: Self.quotaKeys) else { continue }
            let positive = 1...Int.max
            quotas[model] = BatchgateConfiguration.Quota(
                requestsPerMinute: optionalInt(limits, "requests_per_minute", range: positive),
                tokensPerMinute: optionalInt(limits, "tokens_per_minute", range: positive),
                concurrentRequests: optionalInt(limits, "concurrent_requests", range: positive)
            )
        }
        return quotas
    }
}

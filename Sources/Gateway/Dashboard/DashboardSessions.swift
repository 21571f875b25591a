import Foundation
import Synchronization

/// Dashboard sessions: a browser presents an admin key once (login form or `?key=`) and gets a random session token
/// in a cookie, never the key. A token names the key it was made for; it ends after `lifetime`, and is refused as
/// soon as that key is gone or no longer an admin key (checked on every use, so a reload revokes it).
final class DashboardSessions: Sendable {
    private struct Session {
        var key: String
        var expires: ContinuousClock.Instant
    }

    /// The cookie's name.
    static let cookieName = "batchgate_session"
    /// How long a session lasts.
    let lifetime: Duration
    /// The most sessions kept; the oldest goes first.
    let capacity: Int
    private let sessions: Mutex<[String: Session]> = Mutex([:])

    /// A store of sessions lasting `lifetime`, at most `capacity` at once.
    init(lifetime: Duration = .seconds(12 * 3600), capacity: Int = 256) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A new session for the key named `key`: 32 random bytes as hex.
    func open(for key: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
            .joined()
        let now = ContinuousClock.now
        sessions.withLock { sessions in
            sessions = sessions.filter { $0.value.expires > now }
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expires < $1.value.expires }) {
                sessions[oldest.key] = nil
            }
            sessions[token] = Session(key: key, expires: now + lifetime)
        }
        return token
    }

    /// The key name of the live session `token`, or nil.
    func key(of token: String) -> String? {
        let now = ContinuousClock.now
        return sessions.withLock { sessions in
            guard let session = sessions[token] else { return nil }
            guard session.expires > now else {
                sessions[token] = nil
                return nil
            }
            return session.key
        }
    }

    /// Ends session `token`.
    func close(_ token: String) {
        _ = sessions.withLock { $0.removeValue(forKey: token) }
    }

    /// The `Set-Cookie` value that holds `token`: HttpOnly, Secure, SameSite=Strict, for the dashboard's paths only.
    func cookie(_ token: String) -> String {
        "\(Self.cookieName)=\(token); Path=/dashboard; Max-Age=\(lifetime.components.seconds); HttpOnly; Secure; "
            + "SameSite=Strict"
    }

    /// The session token in a `Cookie` header, if any.
    static func token(inCookieHeader header: String?) -> String? {
        guard let header else { return nil }
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
            return parts[1].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}

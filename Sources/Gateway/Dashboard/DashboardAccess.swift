import BatchgateConfig
import Foundation
import HTTPTypes

/// Who may see the dashboard: an admin key (`keys[].admin: true`), presented as `Authorization: Bearer KEY`, or
/// through a session cookie made when the key was presented once.
struct DashboardAccess: Sendable {
    let keys: APIKeyStore
    let sessions: DashboardSessions

    /// The admin key of a request with `authorization` and `cookie` headers; 401 without a valid key or session,
    /// 403 for a key that is not an admin key.
    func admin(authorization: String?, cookie: String?) throws(GatewayError) -> BatchgateConfiguration.APIKey {
        if authorization == nil, let token = DashboardSessions.token(inCookieHeader: cookie) {
            guard let name = sessions.key(of: token), let key = keys.keys.first(where: { $0.name == name }),
                !key.isExpired(at: Date())
            else {
                throw GatewayError(.invalidAPIKey, "the dashboard session has ended; sign in again")
            }
            return try Self.requireAdmin(key)
        }
        return try Self.requireAdmin(keys.authenticate(authorization: authorization))
    }

    /// The admin key `presented` (the key itself, from the login form or `?key=`).
    func admin(presented: String) throws(GatewayError) -> BatchgateConfiguration.APIKey {
        try Self.requireAdmin(keys.authenticate(authorization: "Bearer \(presented)"))
    }

    static func requireAdmin(_ key: BatchgateConfiguration.APIKey) throws(GatewayError) -> BatchgateConfiguration.APIKey
    {
        try GatewayError.requireAdmin(key, for: "the dashboard")
    }
}

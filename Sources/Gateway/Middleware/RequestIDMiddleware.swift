import HTTPTypes
import Hummingbird

/// Gives every request an id — the client's `x-request-id` when it sends a usable one, else a fresh one — and
/// answers with it in `x-request-id`.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    /// The header that carries the id both ways.
    static let header = HTTPField.Name("x-request-id")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.requestID = request.headers[Self.header].flatMap(Self.usable) ?? Self.newID()
        var response = try await next(request, context)
        response.headers[values: Self.header] = [context.requestID]
        return response
    }

    /// `id` when it can stand in log lines and response ids as it is: 1 to 128 visible ASCII characters.
    static func usable(_ id: String) -> String? {
        let bytes = id.utf8
        guard (1...128).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return id
    }

    /// A fresh request id: 22 base-62 characters from 128 random bits (two reads of the system generator, not one
    /// per character: each read is a system call).
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var characters: [UInt8] = []
        characters.reserveCapacity(22)
        for index in 0..<22 {
            if index == 11 { bits.0 = bits.1 }
            characters.append(alphabet[Int(bits.0 % 62)])
            bits.0 /= 62
        }
        return String(decoding: characters, as: UTF8.self)
    }
}

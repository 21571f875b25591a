/// Runs `body` through standard-library APIs that only `rethrow` (such as `Array.withUnsafeBytes`) and gives back
/// the `GGUFError` it threw; `body` must throw nothing else.
@inline(__always)
func rethrowingGGUFError<T>(_ body: () throws -> T) throws(GGUFError) -> T {
    do {
        return try body()
    } catch let error as GGUFError {
        throw error
    } catch {
        preconditionFailure("only GGUFError is thrown here, got \(error)")
    }
}

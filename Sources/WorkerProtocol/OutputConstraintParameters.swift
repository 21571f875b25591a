/// Structured output for one sequence, as the wire carries it with the sequence's sampling parameters: the grammar's
/// source travels as text (a JSON Schema is small next to a prompt chunk), so a restarted worker needs nothing it
/// was told before; each worker compiles a source once and keeps it.
public struct OutputConstraintParameters: Sendable, Equatable {
    /// The grammar's source.
    public enum Kind: Sendable, Equatable {
        /// Any JSON object.
        case jsonObject
        /// A value valid under this JSON Schema (its JSON text).
        case jsonSchema(String)
    }

    /// The grammar's source.
    public var kind: Kind
    /// How many of the prompt's last tokens are output already generated under this constraint (a sequence recomputed
    /// after preemption or a worker restart): the worker's grammar reads them before it samples.
    public var generatedPrefix: UInt32

    /// A constraint of `kind` with `generatedPrefix` tokens already generated.
    public init(_ kind: Kind, generatedPrefix: UInt32 = 0) {
        self.kind = kind
        self.generatedPrefix = generatedPrefix
    }

    /// The longest schema text the wire carries, in bytes (the gateway refuses longer ones by name).
    public static let maxSchemaBytes = 64 * 1024
    /// The most bytes a constraint takes on the wire after the kind byte, for sizing rings.
    public static let largestEncodedSize = 4 + 4 + maxSchemaBytes

    /// Bytes a constraint takes on the wire after the kind byte (none: 0).
    var encodedSize: Int {
        switch kind {
        case .jsonObject: 4
        case .jsonSchema(let text): 4 + 4 + text.utf8.count
        }
    }

    /// The kind byte: 0 for no constraint, 1 for any JSON object, 2 for a JSON Schema.
    static func encode(_ constraint: Self?, into writer: inout WireWriter) {
        guard let constraint else {
            writer.write(UInt8(0))
            return
        }
        switch constraint.kind {
        case .jsonObject:
            writer.write(UInt8(1))
            writer.write(constraint.generatedPrefix)
        case .jsonSchema(let text):
            writer.write(UInt8(2))
            writer.write(constraint.generatedPrefix)
            writer.write(text)
        }
    }

    /// Reads what `encode(_:into:)` writes.
    static func read(_ reader: inout WireReader) throws(ProtocolError) -> Self? {
        let kind = try reader.read(UInt8.self)
        switch kind {
        case 0: return nil
        case 1: return Self(.jsonObject, generatedPrefix: try reader.read(UInt32.self))
        case 2:
            let prefix = try reader.read(UInt32.self)
            let schema = try reader.readString("JSON schema")
            guard schema.utf8.count <= maxSchemaBytes else {
                throw ProtocolError(
                    .invalidValue, "a JSON schema of \(schema.utf8.count) bytes, over \(maxSchemaBytes)")
            }
            return Self(.jsonSchema(schema), generatedPrefix: prefix)
        default: throw ProtocolError(.invalidValue, "output constraint kind \(kind)")
        }
    }
}

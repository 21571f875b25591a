/// One token of a pass sent to a later stage: its sequence, its position, and whether the head runs on it.
public struct StageRow: Sendable, Hashable {
    /// The sequence.
    public var sequenceID: UInt64
    /// The token's position in the sequence.
    public var position: UInt32
    /// Whether the head runs on this row (the last stage returns only these rows).
    public var isOutput: Bool

    /// Creates a row.
    public init(sequenceID: UInt64, position: UInt32, isOutput: Bool) {
        self.sequenceID = sequenceID
        self.position = position
        self.isOutput = isOutput
    }

    /// Bytes a row takes on the wire.
    static let size = 13
}

/// The first stage → a later stage: one forward pass's rows (each sequence's rows consecutive, in position order)
/// with the residual stream entering the stage, after the stage frees the KV blocks of `releases`. A pass with no
/// rows and no releases is a heartbeat: the stage answers it at once with no rows.
public struct StageForward: WireMessage {
    /// The header kind byte.
    public static let kind = MessageKind.stageForward

    /// The pass, echoed by the answer.
    public var passID: UInt64
    /// Sequences whose KV blocks the stage frees first.
    public var releases: [UInt64]
    /// The rows, in the order the first stage ran them.
    public var rows: [StageRow]
    /// `rows.count` rows of the residual stream.
    public var hidden: HiddenRows

    /// Creates a pass.
    public init(passID: UInt64, releases: [UInt64] = [], rows: [StageRow], hidden: HiddenRows) {
        self.passID = passID
        self.releases = releases
        self.rows = rows
        self.hidden = hidden
    }

    /// A heartbeat: no rows, no releases, rows of `width`.
    public static func heartbeat(passID: UInt64, width: UInt32) -> StageForward {
        StageForward(passID: passID, rows: [], hidden: HiddenRows(width: width, values: []))
    }

    /// Whether this pass is a heartbeat.
    public var isHeartbeat: Bool { rows.isEmpty && releases.isEmpty }

    /// Layout: pass id u64, releases (u64 list), rows (count, then sequence u64, position u32, output bool each),
    /// then the hidden rows (`HiddenRows`), whose row count must equal the rows'.
    public func encodeBody(into writer: inout WireWriter) {
        writer.write(passID)
        writer.write(releases)
        writer.writeCount(rows.count)
        for row in rows {
            writer.write(row.sequenceID)
            writer.write(row.position)
            writer.write(row.isOutput)
        }
        hidden.encode(into: &writer)
    }

    /// Reads the body `encodeBody(into:)` writes.
    public init(body reader: inout WireReader) throws(ProtocolError) {
        passID = try reader.read(UInt64.self)
        releases = try reader.readArray(UInt64.self, "releases")
        rows = try reader.readList("rows", minimumElementSize: StageRow.size) {
            (r: inout WireReader) throws(ProtocolError) in
            StageRow(
                sequenceID: try r.read(UInt64.self), position: try r.read(UInt32.self),
                isOutput: try r.readBool("output row"))
        }
        hidden = try HiddenRows(reading: &reader)
        guard hidden.rowCount == rows.count else {
            throw ProtocolError(.invalidValue, "\(rows.count) rows but \(hidden.rowCount) rows of hidden state")
        }
    }
}

/// A later stage → the first stage: the answer to one `StageForward`. Either the residual stream after the stage's
/// blocks (every row's, or only the output rows' from the stage that runs the model's last block), or why the stage
/// could not run the pass (then the first stage gives up the link, as a worker that fails).
public struct StageReturn: WireMessage {
    /// The header kind byte.
    public static let kind = MessageKind.stageReturn

    /// The pass this answers.
    public var passID: UInt64
    /// Why the pass failed, or nil.
    public var failure: String?
    /// Nanoseconds the stage spent running the pass (its blocks, not the link): the first stage subtracts it from
    /// the round trip to know the link's cost.
    public var stageNanoseconds: UInt64
    /// The rows after the stage's blocks (none when the pass failed).
    public var hidden: HiddenRows

    /// Creates an answer.
    public init(passID: UInt64, failure: String? = nil, stageNanoseconds: UInt64 = 0, hidden: HiddenRows) {
        self.passID = passID
        self.failure = failure
        self.stageNanoseconds = stageNanoseconds
        self.hidden = hidden
    }

    /// Layout: pass id u64, stage time u64, a failed bool (then the reason as a string), then the hidden rows.
    public func encodeBody(into writer: inout WireWriter) {
        writer.write(passID)
        writer.write(stageNanoseconds)
        writer.write(failure != nil)
        if let failure { writer.write(failure) }
        hidden.encode(into: &writer)
    }

    /// Reads the body `encodeBody(into:)` writes; a failure with rows is `invalidValue`.
    public init(body reader: inout WireReader) throws(ProtocolError) {
        passID = try reader.read(UInt64.self)
        stageNanoseconds = try reader.read(UInt64.self)
        failure = try reader.readBool("failed") ? try reader.readString("failure") : nil
        hidden = try HiddenRows(reading: &reader)
        guard failure == nil || hidden.values.isEmpty else {
            throw ProtocolError(.invalidValue, "a failed pass carries \(hidden.rowCount) rows")
        }
    }
}

/// Unicode classes the pre-tokenizers need (`\p{L}`, `\p{N}`, `\p{M}`, `\s`), as bit flags per code point.
///
/// The Basic Multilingual Plane is looked up in a table built once from `Unicode.Scalar.Properties`;
/// code points above it are classified on the fly (they are rare in text: emoji, historic scripts, CJK extensions).
/// Unassigned code points count as "other" (llama.cpp files them under `\p{C}`), never as letters or numbers.
/// llama.cpp's tables are generated from Unicode 15.1; characters assigned later (the Swift runtime knows newer
/// versions) are treated as unassigned too, so that text splits exactly as in llama.cpp.
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8

    /// `\p{L}`: Lu, Ll, Lt, Lm, Lo.
    static let letter = CharacterClass(rawValue: 1)
    /// `\p{N}`: Nd, Nl, No.
    static let number = CharacterClass(rawValue: 2)
    /// `\s`: the Unicode White_Space property.
    static let whitespace = CharacterClass(rawValue: 4)
    /// Set for every code point, so that an empty value means "past the end of the text".
    static let present = CharacterClass(rawValue: 8)
    /// `\p{M}`: Mn, Mc, Me (Qwen3.5's words carry their combining marks).
    static let mark = CharacterClass(rawValue: 16)

    /// Flags per BMP code point.
    static let bmpTable: [UInt8] = {
        var table = [UInt8](repeating: CharacterClass.present.rawValue, count: 0x10000)
        for value in 0..<0x10000 {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { continue }  // surrogates stay "other"
            table[value] = classify(scalar).rawValue
        }
        return table
    }()

    /// Computes the flags of one scalar from its properties.
    static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        var flags: CharacterClass = .present
        guard let age = scalar.properties.age, age.major < 15 || (age.major == 15 && age.minor <= 1) else {
            return flags
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            flags.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            flags.insert(.number)
        case .nonspacingMark, .spacingMark, .enclosingMark:
            flags.insert(.mark)
        default:
            break
        }
        if scalar.properties.isWhitespace { flags.insert(.whitespace) }
        return flags
    }

    /// The flags of code point `value` (which must be a valid scalar value).
    @inline(__always)
    static func of(_ value: UInt32) -> CharacterClass {
        if value < 0x10000 { return CharacterClass(rawValue: bmpTable[Int(value)]) }
        guard let scalar = Unicode.Scalar(value) else { return .present }
        return classify(scalar)
    }
}

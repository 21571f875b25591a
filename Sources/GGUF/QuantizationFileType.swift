/// The whole-file quantization mixes `batchgate model quantize` makes, named as llama-quantize names them, with
/// llama.cpp's `general.file_type` number (`LLAMA_FTYPE_MOSTLY_*`) and the type most matrices get.
public enum QuantizationFileType: String, CaseIterable, Sendable, CustomStringConvertible {
    case q4_0, q4_1, q5_0, q5_1, q8_0
    case q2_K = "q2_k"
    case q3_K_M = "q3_k_m"
    case q4_K_S = "q4_k_s"
    case q4_K_M = "q4_k_m"
    case q5_K_S = "q5_k_s"
    case q5_K_M = "q5_k_m"
    case q6_K = "q6_k"
    case iq4_nl, iq4_xs

    /// The mix `name` (any case, such as `q4_k_m` or `Q4_K_M`) stands for, or nil.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }

    /// llama.cpp's name, such as `Q4_K_M`.
    public var description: String { rawValue.uppercased() }

    /// The value llama-quantize writes as `general.file_type`.
    public var fileTypeID: UInt32 {
        switch self {
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q2_K: 10
        case .q3_K_M: 12
        case .q4_K_S: 14
        case .q4_K_M: 15
        case .q5_K_S: 16
        case .q5_K_M: 17
        case .q6_K: 18
        case .iq4_nl: 25
        case .iq4_xs: 30
        }
    }

    /// The type a matrix gets unless a rule picks another (llama.cpp's `llama_ftype_get_default_type`).
    public var defaultType: GGMLType {
        switch self {
        case .q4_0: .q4_0
        case .q4_1: .q4_1
        case .q5_0: .q5_0
        case .q5_1: .q5_1
        case .q8_0: .q8_0
        case .q2_K: .q2_K
        case .q3_K_M: .q3_K
        case .q4_K_S, .q4_K_M: .q4_K
        case .q5_K_S, .q5_K_M: .q5_K
        case .q6_K: .q6_K
        case .iq4_nl: .iq4_nl
        case .iq4_xs: .iq4_xs
        }
    }

    /// The names `init(name:)` accepts, lower case, comma separated (for error messages and help).
    public static var namesList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

import GGUF
import Tokenizers

extension FuzzTarget {
    /// The GGUF reader, and the vocabulary reader on the metadata it returns: any bytes parse or throw `GGUFError`;
    /// a file that parses has every tensor inside its data section and findable by name, and a vocabulary it holds
    /// loads or throws `TokenizerError`, then encodes and decodes a short text.
    public static let gguf = FuzzTarget(name: "gguf", summary: "GGUFFile(mapping:), then Tokenizer(file:)") {
        bytes throws(FuzzFailure) in
        let file: GGUFFile
        do {
            file = try GGUFFile(mapping: MappedFile(copying: bytes, path: "fuzz.gguf"))
        } catch {
            return
        }
        guard file.dataOffset <= bytes.count || file.tensors.isEmpty else {
            throw FuzzFailure("data offset \(file.dataOffset) past the \(bytes.count)-byte file, with tensors")
        }
        for info in file.tensors {
            guard file.tensor(named: info.name) == info else {
                throw FuzzFailure("tensor '\(info.name)' is not found by its name")
            }
            let data = file.bytes(of: info)
            guard data.count == info.byteCount else {
                throw FuzzFailure("tensor '\(info.name)' has \(data.count) bytes, its info says \(info.byteCount)")
            }
            // Touch the first and last byte: the address sanitizer checks they lie inside the copy.
            if data.count > 0 { _ = data[0] &+ data[data.count - 1] }
        }
        guard let tokenizer = try? Tokenizer(file: file) else { return }
        let ids = tokenizer.encode("Hello, wörld! 123 <s>", addSpecial: true, parseSpecial: true)
        for id in ids where id < 0 || Int(id) >= tokenizer.vocabularySize {
            throw FuzzFailure("encoding gave id \(id) outside a vocabulary of \(tokenizer.vocabularySize)")
        }
        _ = try? tokenizer.decode(ids, renderSpecial: true)
    }
}

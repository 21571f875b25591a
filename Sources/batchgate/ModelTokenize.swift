import ArgumentParser
import Foundation
import Tokenizers

/// `batchgate model tokenize FILE --text TEXT` / `--detokenize IDS`: encode text or decode ids with a model's tokenizer.
struct ModelTokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids of a text, or the text of comma-separated ids.",
        discussion: """
            Text is encoded as llama.cpp does, with BOS when the model asks for it (unless --no-bos) and \
            special-token texts treated as plain text (unless --special). --detokenize renders control tokens.
            """
    )

    @Argument(help: "The GGUF model or vocabulary file.")
    var file: String

    @Option(help: "The text to tokenize.")
    var text: String?

    @Option(help: "Comma-separated token ids to turn back into text.")
    var detokenize: String?

    @Flag(help: "Turn special-token texts such as <|im_start|> into their ids.")
    var special = false

    @Flag(name: .customLong("no-bos"), help: "Do not add BOS/EOS even when the model asks for them.")
    var noBOS = false

    @Flag(help: "Print JSON instead of plain text.")
    var json = false

    func validate() throws {
        guard (text == nil) != (detokenize == nil) else {
            throw ValidationError("give exactly one of --text and --detokenize")
        }
    }

    func run() throws {
        let tokenizer = try ModelCommand.loadTokenizer(file)
        if let text {
            let ids = tokenizer.encode(text, addSpecial: !noBOS, parseSpecial: special)
            if json {
                print(ModelCommand.json(["tokens": ids.map(Int.init)]))
            } else {
                print(ids.map(String.init).joined(separator: " "))
            }
            return
        }
        var ids: [Int32] = []
        for part in (detokenize ?? "").split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int32(trimmed) else {
                ModelCommand.printError("error: '\(trimmed)' is not a token id (expected comma-separated integers)")
                throw ExitCode.failure
            }
            ids.append(id)
        }
        do {
            let decoded = try tokenizer.decode(ids, renderSpecial: true)
            print(json ? ModelCommand.json(["text": decoded]) : decoded)
        } catch {
            ModelCommand.printError("error: \(error)")
            throw ExitCode.failure
        }
    }
}

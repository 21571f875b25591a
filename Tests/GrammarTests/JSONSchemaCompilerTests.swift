import BatchgateTestSupport
import Testing

@testable import Grammar

/// JSON Schemas compiled to grammars: every output the grammar allows must validate under the schema (checked with
/// Python's jsonschema on random outputs), and what the compiler does not enforce is refused by name.
@Suite("JSON Schema compiler")
struct JSONSchemaCompilerTests {
    @Test("random outputs of every schema in the suite parse and validate with jsonschema")
    func suiteValidates() throws {
        try #require(SchemaSuite.schemas.count >= 30)
        var cases: [(schema: String, outputs: [String])] = []
        for (name, schema) in SchemaSuite.schemas {
            let grammar = try JSONSchemaCompiler.compile(schemaText: schema)
            var outputs: [String] = []
            for seed in 1...40 {
                var walker = RandomOutputs(grammar, seed: UInt64(seed) &* 7919)
                let output = walker.output()
                let bytes = try #require(output, "\(name): no complete output from seed \(seed)")
                outputs.append(try #require(String(validating: bytes, as: UTF8.self), "\(name): not UTF-8"))
            }
            #expect(Set(outputs).count > 1 || ["null", "const"].contains(name), "\(name): the walk found one output")
            cases.append((schema, outputs))
        }
        let problems = try SchemaValidator.problems(cases)
        for ((name, _), (found, (_, outputs))) in zip(SchemaSuite.schemas, zip(problems, cases)) {
            for (index, error) in found.prefix(3) {
                Issue.record("\(name): output \(outputs[index]) is invalid: \(error)")
            }
        }
    }

    @Test("the validator does catch invalid outputs (the check can fail)")
    func validatorCatches() throws {
        let problems = try SchemaValidator.problems([
            (##"{"type": "integer", "maximum": 3}"##, ["4", "2", "\"x\"", "{"]),
            (##"{"type": "string", "format": "date"}"##, ["\"2023-02-30\"", "\"2023-02-28\""]),
        ])
        #expect(problems[0].map(\.0) == [0, 2, 3])
        #expect(problems[1].map(\.0) == [0])
    }

    @Test("json_object mode accepts any JSON object and nothing else")
    func jsonObject() throws {
        let automaton = GrammarAutomaton(grammar: try Grammar.jsonObject())
        func accepts(_ text: String) -> Bool {
            automaton.next(automaton.start, bytes: Array(text.utf8)).map(automaton.isAccepting) ?? false
        }
        for good in [
            ##"{}"##, ##"{"a": [1, -2.5e3, true, null, {"b": "\u00e9\n"}]}"##, "{\n  \"k\": \"ü\"\n}", ##"{"x":0}"##,
        ] {
            #expect(accepts(good), "\(good)")
        }
        for bad in [
            ##"[]"##, ##""s""##, ##"{"a": 01}"##, ##"{"a": "\x"}"##, ##"{"a" 1}"##, ##"{"a": 1,}"##,
            "{\"a\": \"\u{1}\"}", ##"{}}"##,
        ] {
            #expect(!accepts(bad), "\(bad)")
        }
    }

    @Test("integer and number bounds admit exactly the numbers in range")
    func bounds() throws {
        let integer = GrammarAutomaton(
            grammar: try JSONSchemaCompiler.compile(
                schemaText: ##"{"type": "integer", "minimum": -37, "maximum": 1250}"##))
        func accepts(_ automaton: GrammarAutomaton, _ text: String) -> Bool {
            automaton.next(automaton.start, bytes: Array(text.utf8)).map(automaton.isAccepting) ?? false
        }
        for value in -60...1300 {
            #expect(accepts(integer, String(value)) == (-37...1250).contains(value), "\(value)")
        }
        #expect(!accepts(integer, "-0") && !accepts(integer, "007") && !accepts(integer, "1.0"))
        let number = GrammarAutomaton(
            grammar: try JSONSchemaCompiler.compile(schemaText: ##"{"type": "number", "minimum": -2, "maximum": 3}"##))
        for (text, inside) in [
            ("-2", true), ("-2.5", false), ("-1.99", true), ("-0.5", true), ("0", true), ("2.999", true), ("3", true),
            ("3.1", false), ("4", false), ("-3", false),
        ] {
            #expect(accepts(number, text) == inside, "\(text)")
        }
    }

    @Test("what the compiler does not enforce is refused, naming the keyword and where it is")
    func refusals() {
        let cases: [(String, String)] = [
            (##"{"type": "array", "uniqueItems": true}"##, "'uniqueItems'"),
            (##"{"type": "number", "multipleOf": 3}"##, "'multipleOf'"),
            (##"{"oneOf": [{"type": "string"}]}"##, "'oneOf'"),
            (##"{"type": "object", "properties": {"a": {"not": {}}}}"##, "#/properties/a: the keyword 'not'"),
            (##"{"type": "string", "format": "hostname"}"##, "the format 'hostname'"),
            (##"{"type": "string", "pattern": "(a)\\1"}"##, "back-references"),
            (##"{"type": "string", "pattern": "(?=a)b"}"##, "'(?' groups"),
            (##"{"type": "number", "minimum": 0.5}"##, "'minimum' other than a whole number"),
            (##"{"$ref": "https://example.com/s.json"}"##, "'$ref'"),
        ]
        for (schema, named) in cases {
            #expect {
                try JSONSchemaCompiler.compile(schemaText: schema)
            } throws: { error in
                guard let error = error as? GrammarError else { return false }
                return error.code == .unsupportedSchema && error.message.contains(named)
            }
        }
        #expect(throws: GrammarError.self) { try JSONSchemaCompiler.compile(schemaText: ##"{"type": "string""##) }
        #expect(throws: GrammarError.self) {
            try JSONSchemaCompiler.compile(schemaText: ##"{"type": "integer", "minimum": 5, "maximum": 2}"##)
        }
    }
}

// The libFuzzer binary for every target of FuzzTargets, built only by `make fuzz` (scripts/fuzz.sh), with
// BATCHGATE_FUZZ set so that Package.swift adds it and instruments the parsers:
//
//     FUZZ_TARGET=gguf .build-fuzz/debug/BatchgateFuzz [libFuzzer flags] Fuzz/Corpus/gguf
//     FUZZ_TARGET=gguf .build-fuzz/debug/BatchgateFuzz --write-seeds Fuzz/Corpus/gguf
//
// SwiftPM gives an executable its own `main`, so this one hands control to libFuzzer's driver.
import Foundation
import FuzzTargets

/// libFuzzer's entry for a program that keeps its own `main` (compiler-rt's FuzzerInterface.h).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target `FUZZ_TARGET` names.
let selected: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(names) (got '\(name)')\n".utf8))
        exit(2)
    }
    return target
}()

/// One input: an invariant that fails is a crash, which libFuzzer records with its input.
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        try selected.check(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        fatalError("\(selected.name): \(error)")
    }
    return 0
}

let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == "--write-seeds" {
    let folder = URL(fileURLWithPath: arguments[2])
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (index, seed) in FuzzSeeds.seeds(for: selected.name).enumerated() {
        try Data(seed).write(to: folder.appendingPathComponent("seed-\(index)"))
    }
    exit(0)
}
_ = selected
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, testOneInput))

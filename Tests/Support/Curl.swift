import Foundation

/// curl as the live tests run it: once with its output captured, or in the background writing the body to a file.
public enum Curl {
    /// Runs `/usr/bin/curl -s ARGUMENTS…`; returns its standard output and exit status.
    public static func run(_ arguments: [String]) throws -> (output: String, status: Int32) {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s"] + arguments
        let pipe = Pipe()
        curl.standardOutput = pipe
        curl.standardError = FileHandle.nullDevice
        try curl.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        curl.waitUntilExit()
        return (String(decoding: data, as: UTF8.self), curl.terminationStatus)
    }

    /// Starts `/usr/bin/curl -s -N -o OUTPUT ARGUMENTS…` in the background: the body goes to `output` as it comes.
    public static func start(_ arguments: [String], output: URL) throws -> Process {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-N", "-o", output.path] + arguments
        try curl.run()
        return curl
    }
}

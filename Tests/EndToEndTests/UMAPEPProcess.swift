import Foundation

/// Runs the built `uma-pep` executable (it sits next to the test bundle in `.build/<config>/`).
enum UMAPEPProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The path of the built binary; `UMA_PEP_BINARY` overrides it.
    static var binaryURL: URL {
        if let path = ProcessInfo.processInfo.environment["UMA_PEP_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("uma-pep")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/uma-pep")
    }

    /// Runs `uma-pep args…` to completion and returns its exit status and output.
    static func run(_ args: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binaryURL
        process.arguments = args
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

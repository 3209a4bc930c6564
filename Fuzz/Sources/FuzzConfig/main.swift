// libFuzzer entry for the configuration loader: every input is a configuration file (YAML, or JSON when it
// starts with `{`) run through `ConfigLoader.load`, the validation `uma-pep check-config` runs, then (when it
// loads) through the check-config report and the advisories. Properties (a broken one traps):
//
// 1. Nothing traps, whatever the text: a bad file is a `ConfigError`, never a crash.
// 2. A `ConfigError` has a message and the rendered error starts with the file name; an error about a
//    `client_secret` never quotes the secret (`${CLIENT_SECRET}` is set for the fuzzer; ConfigError.message).
// 3. A loaded configuration has at least one listener and one service, and its report lists every service.
import CFuzzDriver
import PEPCore

private let secret = "fuzz-secret-4c1f"
private let environment = [
    "OXD_URL": "http://127.0.0.1:8443", "UPSTREAM_URL": "http://127.0.0.1:9000", "CLIENT_SECRET": secret,
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    switch load(text) {
    case .success(let configuration):
        precondition(!configuration.listeners.isEmpty, "config: loaded without a listener")
        precondition(!configuration.services.isEmpty, "config: loaded without a service")
        let report = configuration.checkReport()
        for service in configuration.services {
            precondition(report.contains(service.name), "config: report omits service \(service.name)")
        }
        _ = configuration.advisories
    case .failure(let error):
        precondition(!error.message.isEmpty, "config: error without a message")
        if error.fieldPath.hasSuffix("client_secret") {
            precondition(!error.description.contains(secret), "config: an error about client_secret quotes it")
        }
        precondition(error.description.hasPrefix("fuzz.yaml"), "config: error does not name the file")
    }
    return 0
}

/// Debug builds: SwiftPM links executables with `--defsym main=FuzzConfig_main` (see FuzzHTTP1).
@_cdecl("FuzzConfig_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzConfig(UnsafeRawPointer(data), size) }
}

private func load(_ text: String) -> Result<PEPConfiguration, ConfigError> {
    Result { () throws(ConfigError) -> PEPConfiguration in
        try ConfigLoader.load(text: text, fileName: "fuzz.yaml", environment: environment, coreCount: 2)
    }
}

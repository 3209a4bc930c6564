// libFuzzer entry: each input goes through every parser, and the properties below must hold for any bytes.
// A broken property traps, which libFuzzer reports as a crash with the input saved.
//
// 1. Request head: same result whole and in 7-byte and 1-byte growing prefixes (the codec's resume logic);
//    a complete head consumes no more than it was given and re-parses from its own bytes to the same head.
// 2. Response head (as a GET and as a HEAD response): same result whole and in 7-byte prefixes.
// 3. Chunked decoder: same payload, end and error whole and in 5-byte slices; payload ranges stay in bounds.
// 4. Canonicalizer: on the input as a target and on every parsed request's target; a canonical target is
//    accepted again unchanged (idempotent) and its path has no dot segment, no `//`, no `%2F`.
import CFuzzDriver
import ChunkedSlicing
import HTTP1Codec
import PEPCore

private let limits = HTTP1Limits(maxHeadBytes: 4_096, maxRequestLineBytes: 1_024, maxHeadersCount: 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count)
    checkRequest(input)
    checkResponse(input, method: "GET")
    checkResponse(input, method: "HEAD")
    checkChunked(input)
    checkCanonical(input, method: "GET", host: "api.test")
    return 0
}

/// Debug builds: SwiftPM links executables with `--defsym main=FuzzHTTP1_main`, so this is the process entry;
/// it runs libFuzzer's driver with the same callback. Release builds use libFuzzer's own `main` instead.
@_cdecl("FuzzHTTP1_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        fuzzHTTP1(UnsafeRawPointer(data), size)
    }
}

private func feed<Head>(
    _ input: UnsafeRawBufferPointer, step: Int?, _ parse: (UnsafeRawBufferPointer) -> HTTP1ParseResult<Head>
) -> HTTP1ParseResult<Head> {
    guard let step else { return parse(input) }
    var length = 0
    while true {
        length = min(length + step, input.count)
        let result = parse(UnsafeRawBufferPointer(rebasing: input[0..<length]))
        if case .incomplete = result, length < input.count { continue }
        return result
    }
}

private func checkRequest(_ input: UnsafeRawBufferPointer) {
    var parser = RequestHeadParser()
    let whole = feed(input, step: nil) { parser.parse($0, limits: limits) }
    for step in [7, 1] {
        var sliced = RequestHeadParser()
        let result = feed(input, step: step) { sliced.parse($0, limits: limits) }
        precondition(result == whole, "request: \(step)-byte prefixes disagree with whole")
    }
    guard case .complete(let head, let consumed) = whole else { return }
    precondition(consumed > 0 && consumed <= input.count, "request: consumed out of range")
    let again = head.headers.withUnsafeBytes { bytes in
        var reparser = RequestHeadParser()
        return reparser.parse(bytes, limits: limits)
    }
    guard case .complete(let reparsed, _) = again else { preconditionFailure("request: own bytes do not re-parse") }
    precondition(reparsed == head, "request: re-parse differs")
    _ = head.connectionTokens
    head.withUnsafeTargetBytes { target in
        checkCanonical(target, method: head.method, host: head.host)
    }
}

private func checkResponse(_ input: UnsafeRawBufferPointer, method: String) {
    var parser = ResponseHeadParser()
    let whole = feed(input, step: nil) { parser.parse($0, requestMethod: method, limits: limits) }
    var sliced = ResponseHeadParser()
    let result = feed(input, step: 7) { sliced.parse($0, requestMethod: method, limits: limits) }
    precondition(result == whole, "response: 7-byte prefixes disagree with whole")
    if case .complete(let head, let consumed) = whole {
        precondition(consumed <= input.count && head.status >= 100 && head.status <= 999, "response: bad head")
        _ = head.reason
    }
}

private let chunkedLimits = HTTP1Limits(
    maxChunkExtensionBytes: 64, maxTrailerBytes: 256, maxChunkedOverheadBytes: 1_024)

private func checkChunked(_ input: UnsafeRawBufferPointer) {
    checkChunkedSlices(input, steps: [5], limits: chunkedLimits)
}

private func checkCanonical(_ target: UnsafeRawBufferPointer, method: String, host: String?) {
    guard let canonical = try? CanonicalTarget.canonicalize(requestTarget: target, method: method, host: host) else {
        return
    }
    let path = canonical.path
    if path == "*" { return }
    precondition(path.hasPrefix("/"), "canonical: path not absolute")
    precondition(!path.contains("//") && !path.contains("/./") && !path.contains("/../"), "canonical: not normal")
    precondition(!path.hasSuffix("/.") && !path.hasSuffix("/.."), "canonical: trailing dot segment")
    precondition(!path.uppercased().contains("%2F") && !path.contains("\\"), "canonical: separator leaked")
    let again = try? CanonicalTarget.canonicalize(requestTarget: canonical.requestTarget, method: method, host: host)
    precondition(again == canonical, "canonical: not idempotent")
}

// libFuzzer entry for the chunked transfer-coding decoder (RFC 9112 §7.1) on its own, with limits small enough
// that every limit is reachable. Properties that must hold for any bytes (a broken one traps):
//
// 1. The same payload, end and verdict whole and in 1-, 3- and 7-byte slices (the decoder's resume logic).
// 2. Payload ranges stay inside the slice they were reported for; a completed body consumed no more than given.
// 3. The payload is never longer than the input, and a completed body's payload is exactly the sum of its chunk
//    sizes as written (re-encoding the payload as one chunk decodes to the same payload).
import CFuzzDriver
import ChunkedSlicing
import HTTP1Codec

private let limits = HTTP1Limits(maxChunkExtensionBytes: 32, maxTrailerBytes: 128, maxChunkedOverheadBytes: 512)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunked(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count)
    let whole = checkChunkedSlices(input, steps: [1, 3, 7], limits: limits)
    precondition(whole.payload.count <= input.count, "chunked: payload longer than input")
    if case .complete = whole.progress {
        precondition(whole.end <= input.count, "chunked: consumed past the input")
        // The payload as one chunk decodes to itself.
        var encoded = Array(String(whole.payload.count, radix: 16).utf8) + [13, 10] + whole.payload + [13, 10]
        if !whole.payload.isEmpty { encoded += Array("0\r\n\r\n".utf8) }
        encoded.withUnsafeBytes { bytes in
            let again = decodeChunked(bytes, step: bytes.count, limits: limits)
            precondition(again.payload == whole.payload, "chunked: re-encoded payload differs")
            if case .complete = again.progress {} else { preconditionFailure("chunked: re-encoded body incomplete") }
        }
    }
    return 0
}

/// Debug builds: SwiftPM links executables with `--defsym main=FuzzChunked_main` (see FuzzHTTP1).
@_cdecl("FuzzChunked_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzChunked(UnsafeRawPointer(data), size) }
}

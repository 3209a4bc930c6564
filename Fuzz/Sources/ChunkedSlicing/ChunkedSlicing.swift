// The chunked decoder fed in slices, shared by FuzzChunked and FuzzHTTP1: both check that a body decodes to the
// same payload, end and verdict whole and sliced (the decoder's resume logic).
import HTTP1Codec

/// What decoding one chunked body gave: the payload bytes reported, the final progress (`.complete(consumed: 0)`
/// stands for any completion; the consumed count is folded into `end`) and, when complete, the offset in the
/// whole input just past the body.
public struct ChunkedOutcome: Equatable {
    public var payload: [UInt8] = []
    public var progress: ChunkedDecoder.Progress = .needMore
    public var end = 0
}

/// Decodes `input` with a fresh ``ChunkedDecoder`` under `limits`, handing it `step` bytes at a time, until it
/// completes, rejects or runs out of input. Traps when a payload range leaves the slice it was reported for or a
/// completion consumes more than the slice held.
public func decodeChunked(_ input: UnsafeRawBufferPointer, step: Int, limits: HTTP1Limits) -> ChunkedOutcome {
    var decoder = ChunkedDecoder(limits: limits)
    var outcome = ChunkedOutcome()
    var offset = 0
    while offset < input.count {
        let slice = UnsafeRawBufferPointer(rebasing: input[offset..<min(input.count, offset + step)])
        let progress = decoder.decode(slice) { range in
            precondition(range.lowerBound >= 0 && range.upperBound <= slice.count, "chunked: range out of slice")
            outcome.payload += slice[range]
        }
        switch progress {
        case .needMore:
            offset += slice.count
        case .complete(let consumed):
            precondition(consumed <= slice.count, "chunked: consumed out of slice")
            outcome.progress = .complete(consumed: 0)
            outcome.end = offset + consumed
            return outcome
        case .rejected:
            outcome.progress = progress
            return outcome
        }
    }
    return outcome
}

/// Traps unless decoding `input` whole and in slices of each of `steps` bytes gives the same outcome; returns the
/// whole-input outcome.
@discardableResult
public func checkChunkedSlices(_ input: UnsafeRawBufferPointer, steps: [Int], limits: HTTP1Limits) -> ChunkedOutcome {
    let whole = decodeChunked(input, step: max(input.count, 1), limits: limits)
    for step in steps {
        precondition(
            decodeChunked(input, step: step, limits: limits) == whole,
            "chunked: \(step)-byte slices disagree with whole")
    }
    return whole
}

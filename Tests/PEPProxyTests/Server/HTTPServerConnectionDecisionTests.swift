import Testing

@testable import PEPProxy

/// `HTTPServerConnection.headDeadlinePassed`: what a passed head deadline does to a connection waiting for a
/// request head.
@Suite struct HTTPServerConnectionDecisionTests {
    @Test(arguments: [
        // (head started, input bytes, output bytes) -> outcome
        (false, 0, 0, HTTPServerConnection.HeadDeadlineOutcome.idle),
        (false, 0, 1, .stillWriting),
        (false, 0, 65_536, .stillWriting),
        (true, 0, 0, .headerTimeout),
        (true, 0, 4_096, .headerTimeout),
        (false, 10, 0, .headerTimeout),
        (false, 10, 4_096, .headerTimeout),
    ])
    func headDeadline(headStarted: Bool, input: Int, output: Int, expected: HTTPServerConnection.HeadDeadlineOutcome) {
        #expect(
            HTTPServerConnection.headDeadlinePassed(headStarted: headStarted, inputBytes: input, outputBytes: output)
                == expected)
    }
}

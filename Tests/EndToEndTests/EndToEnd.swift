import Testing

/// Every end-to-end suite is nested here and runs serially: each test starts its own processes, and timing
/// assertions (502 within the configured timeout) must not compete with other tests for the machine's cores.
@Suite(.serialized) struct EndToEnd {}

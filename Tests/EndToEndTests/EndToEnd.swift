import Testing

/// Every end-to-end suite is nested here and runs serially: each test starts its own processes, and timing
/// assertions (502 within the configured timeout) must not compete with other tests for the machine's cores.
/// Test bodies block (processes, sockets, bounded waits), so each runs inside `offPool { … }`: on its own
/// dispatch thread, never holding one of Swift's cooperative threads that the other targets' async tests need.
@Suite(.serialized) struct EndToEnd {}

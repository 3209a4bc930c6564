import Testing

@testable import PEPProxy

@Suite struct LibeventInfoTests {
    /// The data plane links libevent 2.1 or newer.
    @Test func linksLibevent21() {
        #expect(LibeventInfo.version.hasPrefix("2."))
    }
}

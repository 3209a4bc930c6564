import Testing

@testable import PEPProxy

@Suite struct LoopTimerTests {
    /// A timer keeps its loop (and so the `event_base`) alive: a worker whose listener failed to bind is torn
    /// down field by field, and its access-log timer used to free its event on the already freed base (a glibc
    /// mutex assertion on `uma-pep demo` with a port in use).
    @Test func timerOutlivingItsOwnerKeepsTheLoop() throws {
        var loop: EventLoop? = try EventLoop()
        weak let watched = loop
        var timer = LoopTimer(loop: loop!) {}
        timer?.schedule(after: .seconds(60))
        loop = nil
        #expect(watched != nil, "the armed timer holds its loop")
        timer = nil
        #expect(watched == nil, "released with the timer")
    }
}

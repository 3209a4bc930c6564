import Foundation
import Synchronization
import Testing

@testable import PEPProxy

/// `BufferedSocket`'s staged reads (bytes read into the thread's read buffer and consumed in place during
/// `socketReadable`): what the owner leaves must end up in the input buffer in order, and bytes moved from
/// staged input must reach the other socket after its deferred bytes. Real sockets (a Unix stream pair), a real
/// libevent loop on its own thread.
@Suite struct BufferedSocketStagingTests {
    /// An owner that runs `onReadable` for each `socketReadable` and records what it saw.
    final class Recorder: BufferedSocketDelegate {
        var onReadable: (BufferedSocket) -> Void = { _ in }
        var events: [BufferedSocket.Event] = []
        func socketReadable(_ socket: BufferedSocket) { self.onReadable(socket) }
        func socketWritable(_ socket: BufferedSocket) {}
        func socketEvent(_ socket: BufferedSocket, _ event: BufferedSocket.Event) { self.events.append(event) }
    }

    /// A loop on its own thread, and a way to run code on it and wait for the result.
    final class LoopThread: @unchecked Sendable {
        let loop: EventLoop
        init() throws {
            self.loop = try EventLoop()
            self.loop.startThread(name: "staging-test")
        }
        /// Hands a value from the loop thread to the waiting test (the semaphore orders the accesses).
        final class Box<R>: @unchecked Sendable {
            var value: R?
            let body: () -> R
            init(_ body: @escaping () -> R) { self.body = body }
        }
        func sync<R>(_ body: @escaping () -> R) -> R {
            let done = DispatchSemaphore(value: 0)
            let box = Box(body)
            self.loop.execute {
                box.value = box.body()
                done.signal()
            }
            done.wait()
            return box.value!
        }
        /// Polls `condition` on the loop (up to 5 s) until it holds.
        func wait(until condition: @escaping () -> Bool) -> Bool {
            for _ in 0..<500 {
                if self.sync(condition) { return true }
                usleep(10_000)
            }
            return false
        }
        deinit { self.loop.stop() }
    }

    /// A connected, non-blocking Unix stream pair.
    static func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        let made = socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds)
        precondition(made == 0)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return (fds[0], fds[1])
    }

    static func send(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        #expect(bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) } == bytes.count)
    }

    static func receive(from fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
        return n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : ""
    }

    /// Reads `fd` until `count` characters have arrived or half a second has passed.
    static func receive(from fd: Int32, count: Int) -> String {
        var received = ""
        for _ in 0..<100 where received.count < count {
            received += Self.receive(from: fd)
            usleep(5_000)
        }
        return received
    }

    /// A source socket (its events to `recorder`) and a sink socket on `thread`'s loop, over two socket pairs;
    /// `setUp` runs on the loop with both before the first byte arrives. Returns the far ends to send to and read
    /// from (closed by the caller).
    static func sourceAndSink(
        on thread: LoopThread, recorder: Recorder, setUp: @escaping (BufferedSocket, BufferedSocket) -> Void
    ) -> (source: BufferedSocket, sink: BufferedSocket, sourceFar: Int32, sinkFar: Int32) {
        let (near, far) = Self.socketPair()
        let (outNear, outFar) = Self.socketPair()
        let (source, sink) = thread.sync { () -> (BufferedSocket, BufferedSocket) in
            let source = try! BufferedSocket(base: thread.loop.base, fd: near)
            let sink = try! BufferedSocket(base: thread.loop.base, fd: outNear)
            source.delegate = recorder
            sink.delegate = Recorder()
            setUp(source, sink)
            return (source, sink)
        }
        return (source, sink, far, outFar)
    }

    @Test func bytesTheOwnerLeavesStayInTheInputInOrder() throws {
        let thread = try LoopThread()
        let (near, far) = Self.socketPair()
        defer { Foundation.close(far) }
        let recorder = Recorder()
        var seen: [String] = []
        let socket = thread.sync { () -> BufferedSocket in
            let socket = try! BufferedSocket(base: thread.loop.base, fd: near)
            socket.delegate = recorder
            recorder.onReadable = { socket in
                // Consume two bytes in place, then pause: the rest must be kept for later.
                seen.append(socket.withInput(upTo: 1 << 20) { String(decoding: $0, as: UTF8.self) })
                socket.drainInput(2)
                socket.setReading(false)
            }
            return socket
        }
        Self.send("hello world", to: far)
        #expect(thread.wait { !seen.isEmpty })
        #expect(seen == ["hello world"])
        let kept = thread.sync {
            (socket.inputLength, socket.withInput(upTo: 100) { String(decoding: $0, as: UTF8.self) })
        }
        #expect(kept.0 == 9)
        #expect(kept.1 == "llo world")
        // More bytes while some wait: read behind them (into the input buffer), never ahead of them.
        thread.sync {
            recorder.onReadable = { socket in
                seen.append(socket.withInput(upTo: 100) { String(decoding: $0, as: UTF8.self) })
            }
            socket.setReading(true)
        }
        Self.send("!", to: far)
        #expect(thread.wait { seen.count == 2 })
        #expect(seen.last == "llo world!")
        // Partial reads of staged bytes: `readInput` and `forEachInputSegment` see the same bytes.
        thread.sync {
            socket.drainInput(socket.inputLength)
            recorder.onReadable = { socket in
                var segments: [String] = []
                socket.forEachInputSegment(max: 3) {
                    segments.append(String(decoding: $0, as: UTF8.self)); return true
                }
                let first = socket.readInput(2)
                seen.append(segments.joined() + "|" + String(decoding: first, as: UTF8.self) + "|\(socket.inputLength)")
            }
        }
        Self.send("abcdef", to: far)
        #expect(thread.wait { seen.count == 3 })
        #expect(seen.last == "abc|ab|4")
        #expect(thread.sync { socket.withInput(upTo: 100) { String(decoding: $0, as: UTF8.self) } } == "cdef")
        thread.sync { socket.close() }
    }

    @Test func stagedBytesMovedToAnotherSocketFollowItsDeferredBytes() throws {
        let thread = try LoopThread()
        let recorder = Recorder()
        let moved = Mutex<[Int]>([])
        let (source, sink, far, outFar) = Self.sourceAndSink(on: thread, recorder: recorder) { _, sink in
            recorder.onReadable = { socket in
                Array("HEAD:".utf8).withUnsafeBytes { sink.writeDeferred($0) }
                // Move all but the last byte; the last one stays for the next callback.
                let count = socket.inputLength - 1
                moved.withLock { $0.append(socket.moveInput(to: sink, count: count)) }
            }
        }
        defer {
            Foundation.close(far)
            Foundation.close(outFar)
        }
        Self.send("body-bytes", to: far)
        #expect(thread.wait { !moved.withLock { $0.isEmpty } })
        #expect(moved.withLock { $0 } == [9])
        #expect(Self.receive(from: outFar, count: 14) == "HEAD:body-byte")
        #expect(thread.sync { source.withInput(upTo: 10) { String(decoding: $0, as: UTF8.self) } } == "s")
        thread.sync {
            source.close()
            sink.close()
        }
    }

    /// `write` after `writeDeferred` sends the held-back bytes first (one `writev`), and staged bytes moved to a
    /// socket with nothing held back go out as they are; the sink's peer reads every byte once, in order.
    @Test func writesFollowDeferredBytesAndStagedMovesGoOutAlone() throws {
        let thread = try LoopThread()
        let recorder = Recorder()
        let moved = Mutex<[Int]>([])
        let (source, sink, far, outFar) = Self.sourceAndSink(on: thread, recorder: recorder) { _, sink in
            Array("head;".utf8).withUnsafeBytes { sink.writeDeferred($0) }
            Array("line;".utf8).withUnsafeBytes { sink.write($0) }
            recorder.onReadable = { socket in
                moved.withLock { $0.append(socket.moveInput(to: sink, count: socket.inputLength)) }
            }
        }
        defer {
            Foundation.close(far)
            Foundation.close(outFar)
        }
        #expect(thread.sync { sink.outputLength } == 0)
        Self.send("staged", to: far)
        #expect(thread.wait { !moved.withLock { $0.isEmpty } })
        #expect(moved.withLock { $0 } == [6])
        #expect(Self.receive(from: outFar, count: 16) == "head;line;staged")
        #expect(thread.sync { (source.inputLength, sink.outputLength) } == (0, 0))
        thread.sync {
            source.close()
            sink.close()
        }
    }

    @Test func aSocketClosedByItsOwnerDropsItsStagedBytes() throws {
        let thread = try LoopThread()
        let (near, far) = Self.socketPair()
        defer { Foundation.close(far) }
        let recorder = Recorder()
        var lengthAfterClose = -1
        let socket = thread.sync { () -> BufferedSocket in
            let socket = try! BufferedSocket(base: thread.loop.base, fd: near)
            socket.delegate = recorder
            recorder.onReadable = { socket in
                socket.close()
                lengthAfterClose = socket.inputLength
            }
            return socket
        }
        Self.send("dropped", to: far)
        #expect(thread.wait { lengthAfterClose >= 0 })
        #expect(lengthAfterClose == 0)
        #expect(thread.sync { socket.isOpen } == false)
    }
}

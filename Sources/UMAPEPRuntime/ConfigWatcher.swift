import Foundation
import PEPCore

#if canImport(Glibc)
    import Glibc
#endif

/// `serve --watch-config`: watches the configuration file's directory with inotify and calls `onChange` when the
/// file's bytes change (``ConfigChangeDetector``), so a mounted Kubernetes ConfigMap — updated by the kubelet
/// with a symlink swap of `..data` — or a file replaced by an editor is reloaded as `SIGHUP` reloads it.
///
/// One thread blocks in `read(2)` on the inotify descriptor. After the first event it keeps draining events until
/// the directory has been quiet for ``settle`` or 2 s have passed (a ConfigMap swap is several events: a new
/// directory, a symlink, a rename, a removal), then reads the file through its path and asks the detector. The
/// watch is on the directory (as given, not resolved), not the file, so it survives the file being replaced or
/// the symlinks being swapped. Linux only (inotify); elsewhere ``init(path:settle:onChange:)`` throws.
public final class ConfigWatcher: @unchecked Sendable {
    /// How long the directory must be quiet after an event before the file is read (default 200 ms).
    public let settle: Duration
    private let path: String
    private let onChange: @Sendable () -> Void
    private var detector: ConfigChangeDetector
    private let descriptor: Int32

    /// Starts watching.
    /// - Parameters:
    ///   - path: the configuration file (its directory is watched; the file is read through this path).
    ///   - settle: the quiet time after the last event before the file is compared.
    ///   - onChange: called on the watcher's thread, once per change of the file's bytes.
    /// - Throws: `RuntimeError` when inotify is unavailable or the directory cannot be watched (naming it).
    public init(
        path: String, settle: Duration = .milliseconds(200), onChange: @escaping @Sendable () -> Void
    ) throws {
        self.path = path
        self.settle = settle
        self.onChange = onChange
        self.detector = ConfigChangeDetector(initial: Self.read(path))
        let directory = (path as NSString).deletingLastPathComponent
        #if os(Linux)
            let fd = inotify_init1(Int32(IN_CLOEXEC))
            guard fd >= 0 else {
                throw RuntimeError("--watch-config: inotify_init1: \(String(cString: strerror(errno)))")
            }
            let mask = UInt32(
                IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MODIFY)
            guard inotify_add_watch(fd, directory.isEmpty ? "." : directory, mask) >= 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw RuntimeError("--watch-config: cannot watch \(directory.isEmpty ? "." : directory): \(reason)")
            }
            self.descriptor = fd
            let thread = Thread { [self] in
                ThreadName.setCurrent("uma-pep-watcher")
                self.run()
            }
            thread.name = "uma-pep-watcher"
            thread.start()
        #else
            throw RuntimeError("--watch-config needs inotify (Linux)")
        #endif
    }

    /// The file's bytes, or `nil` when it cannot be read.
    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    private func run() {
        #if os(Linux)
            self.readEvents()
        #endif
    }

    #if os(Linux)
        /// Waits for events, lets the directory settle, compares the file; forever (the thread lives as long as
        /// the process).
        private func readEvents() {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            let settleMilliseconds = Int32(clamping: CacheInstant.saturatingNanoseconds(self.settle) / 1_000_000)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(self.descriptor, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    return
                }
                // Drain until the directory is quiet for `settle` (at most 2 s, so a directory that never stays
                // quiet still gets its file compared).
                var quiet = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
                let deadline = ContinuousClock.now + .seconds(2)
                while ContinuousClock.now < deadline, poll(&quiet, 1, settleMilliseconds) > 0 {
                    _ = buffer.withUnsafeMutableBytes { Glibc.read(self.descriptor, $0.baseAddress, $0.count) }
                    quiet.revents = 0
                }
                if self.detector.observe(Self.read(self.path)) {
                    self.onChange()
                }
            }
        }
    #endif
}

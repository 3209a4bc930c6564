import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The operating system's name of the calling thread, as `ps -L`, `top -H` and `/proc/PID/task/TID/comm` show
/// it (docs/architecture.md "Threads"). Foundation's `Thread.name` stays inside Foundation on Linux, and Linux
/// keeps at most 15 bytes of a thread name: longer names are cut to that.
public enum ThreadName {
    /// Names the calling thread (Linux: `/proc/thread-self/comm`; best effort, nothing elsewhere).
    public static func setCurrent(_ name: String) {
        #if os(Linux)
            let bytes = Array(name.utf8.prefix(15))
            let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        #endif
    }
}

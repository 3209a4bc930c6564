/// `access_log`: where and how the per-request access log is written (Kong's log phase; nginx's
/// `access_log … buffer=64k flush=1s`).
///
/// Lines are formatted by each worker into its own buffer and written when the buffer holds `bufferBytes`,
/// every `flushInterval`, when the worker drains and at exit: nothing is lost on `SIGTERM`. A file destination
/// is opened in append mode and reopened on `SIGUSR1` (logrotate's `postrotate`). Token values, query
/// strings and headers never appear in a line.
public struct AccessLogSettings: Sendable, Equatable {
    /// Where lines go.
    public enum Destination: Sendable, Equatable, CustomStringConvertible {
        /// The process's standard error (the default; what a container runtime or journald collects).
        case standardError
        /// A file, created if missing (mode 0640) and appended to.
        case file(String)

        /// `stderr` or the file's path, as `check-config` prints it.
        public var description: String {
            switch self {
            case .standardError: "stderr"
            case .file(let path): path
            }
        }
    }

    /// The line format.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// `<time> access key=value …` (keys in a fixed order; values never contain spaces).
        case text
        /// One JSON object per line (JSON Lines).
        case json
    }

    /// Whether requests are logged at all (`access_log: off` or `enabled: false`).
    public var enabled: Bool
    /// Where lines go (default standard error).
    public var destination: Destination
    /// The line format (default `text`).
    public var format: Format
    /// Bytes a worker buffers before it writes them (default 64 KiB).
    public var bufferBytes: Int
    /// Longest time a line waits in a worker's buffer (default 1 s).
    public var flushInterval: Duration

    /// The defaults: on, standard error, text, 64 KiB, 1 s.
    public init(
        enabled: Bool = true, destination: Destination = .standardError, format: Format = .text,
        bufferBytes: Int = 64 * 1024, flushInterval: Duration = .seconds(1)
    ) {
        self.enabled = enabled
        self.destination = destination
        self.format = format
        self.bufferBytes = bufferBytes
        self.flushInterval = flushInterval
    }

    /// Logging turned off.
    public static let off = AccessLogSettings(enabled: false)
}

/// Decides whether a watched configuration file changed enough to reload it (`serve --watch-config`).
///
/// The watcher (UMAPEPRuntime's `ConfigWatcher`) wakes on any inotify event in the file's directory — an
/// editor's rename, a write, or a Kubernetes ConfigMap update, where the kubelet writes a new timestamped
/// directory and swaps the `..data` symlink to it — and then reads the file through its path (following the
/// symlinks) and asks ``observe(_:)``. Only a change of the bytes calls for a reload, so events that leave the
/// file as it was (the kubelet's clean-up of the old directory, a `touch`, a second event of one swap) do not.
/// A file that cannot be read (between an unlink and a rename, or removed) is not a change: the last bytes seen
/// stay the reference, and the next readable state is compared with them.
///
/// Pure: no I/O (the caller reads the file).
public struct ConfigChangeDetector: Sendable, Equatable {
    /// The bytes of the file as last seen (the configuration in force, or the last one tried); `nil` before any.
    public private(set) var lastSeen: [UInt8]?

    /// - Parameter initial: the file's bytes when the running configuration was loaded (`nil` if unknown: then
    ///   the first readable state counts as a change).
    public init(initial: [UInt8]?) {
        self.lastSeen = initial
    }

    /// Compares the file's current bytes with the last ones seen and remembers them.
    /// - Parameter current: the file's bytes now, or `nil` when it cannot be read.
    /// - Returns: `true` when `current` is readable and differs from the last bytes seen (reload now); a reload
    ///   that then fails is not retried until the bytes change again.
    public mutating func observe(_ current: [UInt8]?) -> Bool {
        guard let current else { return false }
        guard current != self.lastSeen else { return false }
        self.lastSeen = current
        return true
    }
}

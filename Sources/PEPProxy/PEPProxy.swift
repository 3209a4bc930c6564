private import CLibevent

/// Facts about the libevent build the data plane runs on.
public enum LibeventInfo {
    /// The libevent version string (e.g. `2.1.12-stable`).
    public static var version: String { String(cString: event_get_version()) }
}

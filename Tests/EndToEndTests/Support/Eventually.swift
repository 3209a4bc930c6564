import Foundation

/// Polls `condition` every 50 ms until it holds or `timeout` seconds passed; returns its last value. For what
/// the processes under test do asynchronously (a log line written as an exchange ends, a background
/// registration, a metric after a close).
func eventually(_ timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

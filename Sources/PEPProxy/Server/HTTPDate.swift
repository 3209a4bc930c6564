import Foundation

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7) for the `Date` header, formatted at most
/// once per second per thread.
enum HTTPDate {
    private final class Cache {
        var second: Int = -1
        var bytes: [UInt8] = []
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current date as header-value bytes.
    static func now() -> [UInt8] {
        let key = "uma-pep.http-date"
        let cache: Cache
        if let existing = Thread.current.threadDictionary[key] as? Cache {
            cache = existing
        } else {
            cache = Cache()
            Thread.current.threadDictionary[key] = cache
        }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        let second = ts.tv_sec
        if second != cache.second {
            cache.second = second
            cache.bytes = Array(Self.format(epochSeconds: Int64(second)).utf8)
        }
        return cache.bytes
    }

    /// Formats an epoch-seconds value as IMF-fixdate.
    static func format(epochSeconds: Int64) -> String {
        var time = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(Self.days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(Self.months[Int(parts.tm_mon)]) "
            + "\(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

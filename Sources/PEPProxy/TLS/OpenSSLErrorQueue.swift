private import COpenSSL

/// Reads OpenSSL's thread-local error queue (STYLE: a C library's errors are mapped in one place).
enum OpenSSLErrorQueue {
    /// Drains the calling thread's error queue into one line (`reason; reason`), or `fallback` when it is
    /// empty. Always leaves the queue empty, so a later failure on this thread is not blamed on an earlier one.
    static func drain(fallback: String = "unknown OpenSSL error") -> String {
        var codes: [UInt] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            codes.append(code)
        }
        return Self.describe(codes, fallback: fallback)
    }

    /// The reasons of packed OpenSSL error codes, joined with `; `: `certificate verify failed` rather than
    /// `error:0A000086:SSL routines::certificate verify failed`. Codes OpenSSL has no reason text for (libevent
    /// also queues raw `errno` values) are only spelled out when nothing better is known.
    static func describe(_ codes: [UInt], fallback: String) -> String {
        let known = codes.compactMap { ERR_reason_error_string($0).map { String(cString: $0) } }
        if !known.isEmpty { return known.joined(separator: "; ") }
        guard let first = codes.first else { return fallback }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(first, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Empties the queue without reading it.
    static func clear() {
        ERR_clear_error()
    }
}

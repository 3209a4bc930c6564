/// The one canonical form of a request-target: the path that is matched against the protection document is the
/// path that is forwarded upstream (SPEC A5; SECURITY 1, 2, 3, 7, 9).
///
/// Canonicalization, in order:
/// 1. The target must be origin-form (`/path[?query]`); absolute-form (`http[s]://authority/path[?query]`) is
///    accepted only when its authority equals the Host header (ASCII case-insensitive) and reduces to its path;
///    `*` only for OPTIONS. A `#` anywhere rejects.
/// 2. Path and query split at the first `?`. The query is kept verbatim, is never matched, and only has to be
///    visible ASCII without a `_method` parameter (name compared after `%XX` decoding, ASCII case-insensitive;
///    `&` and `;` separate parameters): method overrides are refused (SECURITY 35).
/// 3. In the path: `%XX` of an unreserved character (RFC 3986 §2.3) is decoded (`%2e` → `.`, `%61` → `a`); every
///    other `%XX` is kept with upper-case hex (`%3f` → `%3F`); `%2F`, `%5C` reject unless `encodedSlashes` is
///    `.keep` (then kept opaque, never a separator); `%00` and any encoded control byte reject; malformed `%`
///    rejects; a raw `\`, control, space or non-ASCII byte rejects; `;` (raw or `%3B`) rejects under
///    `pathParameters: .reject`; other characters outside `pchar` (`"`, `<`, `>`, `[`, `]`, `^`, `` ` ``, `{`,
///    `|`, `}`) are percent-encoded.
/// 4. With `foldCase`, ASCII letters are lower-cased after decoding, so `/ADMIN`, `/%41DMIN` and `/admin` agree.
/// 5. Dot segments are removed (RFC 3986 §5.2.4) and repeated `/` merged, in one pass over decoded segments.
public struct CanonicalTarget: Sendable, Hashable {
    /// The canonical path (starts with `/`), or `*` for an asterisk-form OPTIONS request.
    public var path: String
    /// The query after the first `?`, verbatim and without the `?`; nil when the target has no `?`.
    public var query: String?

    /// Creates a canonical target from its parts (no validation).
    public init(path: String, query: String?) {
        self.path = path
        self.query = query
    }

    /// The request-target to forward: `path` plus `?query` when there is one.
    public var requestTarget: String {
        guard let query = self.query else { return self.path }
        return self.path + "?" + query
    }

    /// Choices an operator makes per service (SPEC A5; SECURITY 2, 7).
    public struct Options: Sendable, Hashable {
        /// What to do with `;` path parameters (matrix parameters), raw or `%3B`.
        public enum PathParameters: Sendable, Hashable {
            /// Reject with 400 (`path.parameters`). Default: upstreams that strip `;jsessionid=…` would see
            /// another path than the one matched.
            case reject
            /// Keep them as ordinary segment characters for both matching and forwarding.
            case keep
        }

        /// What to do with `%2F` and `%5C` in the path.
        public enum EncodedSlashes: Sendable, Hashable {
            /// Reject with 400 (`path.encoded_slash`, `path.encoded_backslash`). Default.
            case reject
            /// Keep them encoded and opaque for both matching and forwarding (never a separator).
            case keep
        }

        /// `;` handling; default `.reject`.
        public var pathParameters: PathParameters
        /// `%2F` / `%5C` handling; default `.reject`.
        public var encodedSlashes: EncodedSlashes
        /// Lower-case ASCII letters of the path, for case-insensitive upstreams (SECURITY 7). Default false: case
        /// is significant (`/ADMIN` is not `/admin`). Applied after decoding, so raw and `%XX` spellings agree.
        public var foldCase: Bool

        /// Creates options; defaults are the strict ones.
        public init(
            pathParameters: PathParameters = .reject, encodedSlashes: EncodedSlashes = .reject,
            foldCase: Bool = false
        ) {
            self.pathParameters = pathParameters
            self.encodedSlashes = encodedSlashes
            self.foldCase = foldCase
        }
    }

    /// Canonicalizes a request-target given as a string.
    ///
    /// - Parameters:
    ///   - requestTarget: the raw request-target from the request line.
    ///   - method: the request method (`*` is allowed only for `OPTIONS`).
    ///   - host: the Host header value, needed to accept absolute-form; nil when absent.
    ///   - options: per-service choices.
    /// - Throws: `CanonicalTargetError` (always answered 400).
    public static func canonicalize(
        requestTarget: String, method: String, host: String?, options: Options = Options()
    ) throws(CanonicalTargetError) -> CanonicalTarget {
        var target = requestTarget
        let result = target.withUTF8 { bytes in
            Result { () throws(CanonicalTargetError) -> CanonicalTarget in
                try Self.canonicalize(
                    requestTarget: UnsafeRawBufferPointer(bytes), method: method, host: host, options: options)
            }
        }
        return try result.get()
    }

    /// Canonicalizes a request-target given as bytes, in place (the codec's buffer); see the type's doc. `host` is
    /// read only for an absolute-form target (RFC 9112 §3.2.2: its authority must match `Host`).
    ///
    /// - Throws: `CanonicalTargetError` (always answered 400).
    public static func canonicalize(
        requestTarget target: UnsafeRawBufferPointer, method: String, host: @autoclosure () -> String?,
        options: Options = Options()
    ) throws(CanonicalTargetError) -> CanonicalTarget {
        guard let first = target.first else { throw .notOriginForm }
        if target.count == 1 && first == UInt8(ascii: "*") {
            guard method == "OPTIONS" else { throw .asteriskNotOptions }
            return CanonicalTarget(path: "*", query: nil)
        }
        var pathStart = 0
        if first != UInt8(ascii: "/") {
            pathStart = try Self.absoluteFormPathStart(target, host: host())
        }
        var queryStart = target.count
        for index in 0..<target.count {
            let byte = target[index]
            if byte == UInt8(ascii: "#") { throw .fragment }
            if byte == UInt8(ascii: "?") && queryStart == target.count { queryStart = index }
        }
        var query: String?
        if queryStart < target.count {
            let bytes = UnsafeRawBufferPointer(rebasing: target[(queryStart + 1)...])
            for byte in bytes where byte <= 0x20 || byte >= 0x7F { throw .invalidQueryCharacter }
            if Self.hasMethodOverride(bytes) { throw .methodOverrideQuery }
            query = String(decoding: bytes, as: UTF8.self)
        }
        let path = try Self.canonicalPath(
            UnsafeRawBufferPointer(rebasing: target[pathStart..<queryStart]), options: options)
        return CanonicalTarget(path: path, query: query)
    }

    /// Where the path of an absolute-form target starts, after checking scheme and authority against Host.
    private static func absoluteFormPathStart(
        _ target: UnsafeRawBufferPointer, host: String?
    ) throws(CanonicalTargetError) -> Int {
        let authorityStart: Int
        if Self.hasPrefixIgnoringCase(target, "http://") {
            authorityStart = 7
        } else if Self.hasPrefixIgnoringCase(target, "https://") {
            authorityStart = 8
        } else {
            throw .notOriginForm
        }
        var authorityEnd = authorityStart
        while authorityEnd < target.count && target[authorityEnd] != UInt8(ascii: "/")
            && target[authorityEnd] != UInt8(ascii: "?")
        {
            authorityEnd += 1
        }
        guard let host, authorityEnd > authorityStart, host.utf8.count == authorityEnd - authorityStart,
            zip(target[authorityStart..<authorityEnd], host.utf8).allSatisfy({
                Self.lowercased($0) == Self.lowercased($1)
            })
        else { throw .authorityMismatch }
        return authorityEnd
    }

    private static func hasPrefixIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        for offset in 0..<count where Self.lowercased(bytes[offset]) != prefix.utf8Start[offset] { return false }
        return true
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
    }

    /// Whether a query (bytes after `?`) has a parameter whose name, `%XX`-decoded and lower-cased, is `_method`.
    /// Parameters are separated by `&` or `;`; the name ends at `=` or at the parameter's end.
    static func hasMethodOverride(_ query: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        while start <= query.count {
            var end = start
            while end < query.count, query[end] != UInt8(ascii: "&"), query[end] != UInt8(ascii: ";") { end += 1 }
            var nameEnd = start
            while nameEnd < end, query[nameEnd] != UInt8(ascii: "=") { nameEnd += 1 }
            if Self.decodedNameIsMethod(query, start..<nameEnd) { return true }
            start = end + 1
        }
        return false
    }

    /// Compares `bytes[range]`, `%XX`-decoded and ASCII lower-cased, with `_method`.
    private static func decodedNameIsMethod(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        let name: StaticString = "_method"
        var matched = 0
        var index = range.lowerBound
        while index < range.upperBound {
            var byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "%"), index + 1 < range.upperBound,
                let high = Self.hexDigit(bytes[index]), let low = Self.hexDigit(bytes[index + 1])
            {
                byte = high << 4 | low
                index += 2
            }
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            guard matched < name.utf8CodeUnitCount, byte == name.utf8Start[matched] else { return false }
            matched += 1
        }
        return matched == name.utf8CodeUnitCount
    }

    /// The value of one hexadecimal digit, or nil (path and query decoding).
    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

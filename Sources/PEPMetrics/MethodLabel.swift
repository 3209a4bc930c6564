/// The `method` label of `gluu_endpoint_method`: the request method when it is one of the methods defined by
/// RFC 9110 §9.3 or RFC 5789 (`PATCH`), otherwise `OTHER`, so a client cannot grow the label set (STYLE 13).
/// Matching is case-sensitive (RFC 9110 §9.1): `get` is `OTHER`.
public enum MethodLabel: String, Sendable, Equatable, CaseIterable {
    /// RFC 9110 §9.3.1.
    case get = "GET"
    /// RFC 9110 §9.3.2.
    case head = "HEAD"
    /// RFC 9110 §9.3.3.
    case post = "POST"
    /// RFC 9110 §9.3.4.
    case put = "PUT"
    /// RFC 9110 §9.3.5.
    case delete = "DELETE"
    /// RFC 9110 §9.3.6.
    case connect = "CONNECT"
    /// RFC 9110 §9.3.7.
    case options = "OPTIONS"
    /// RFC 9110 §9.3.8.
    case trace = "TRACE"
    /// RFC 5789 §2.
    case patch = "PATCH"
    /// Any other method token (extension methods such as `PROPFIND`, or wrong case).
    case other = "OTHER"

    /// Buckets a method token.
    /// - Parameter method: the request method exactly as received.
    public init(method: String) {
        // GET first without the string switch (`init(rawValue:)` compares against every case): one per request.
        // A small string equal to the literal has the same two words, which `==` compares first (inlined).
        if method == "GET" {
            self = .get
            return
        }
        self = MethodLabel(rawValue: method).flatMap { $0 == .other ? nil : $0 } ?? .other
    }

    /// A dense index for series keys.
    var ordinal: Int {
        switch self {
        case .get: 0
        case .head: 1
        case .post: 2
        case .put: 3
        case .delete: 4
        case .connect: 5
        case .options: 6
        case .trace: 7
        case .patch: 8
        case .other: 9
        }
    }
}

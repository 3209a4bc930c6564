/// The pure half of reading a running Kong's Admin API (Kong Admin API docs: "Pagination"): what to ask for and
/// how to read a page. The `import kong --admin-url` shell does the HTTP calls.
public enum KongAdminAPI {
    /// The list endpoints read, in order. `upstreams` may be missing (404) on a Kong without load balancing;
    /// targets are read per upstream (`/upstreams/{id}/targets`).
    public static let requiredEndpoints = ["/services", "/routes", "/plugins", "/consumers"]

    /// Page size asked for (`?size=`, Kong's maximum is 1000).
    public static let pageSize = 1000

    /// One page of a list endpoint: `{"data": [...], "next": "/services?offset=…" | null}`.
    public struct Page: Sendable, Equatable {
        /// The entities of this page.
        public var data: [JSONValue]
        /// The next page's URL (absolute), or `nil` on the last page.
        public var next: String?
    }

    /// The URL of the first page of `endpoint` (`/services`) under `baseURL` (`http://127.0.0.1:8001`, a trailing
    /// `/` or a path prefix such as `/kong-admin` allowed).
    public static func firstPageURL(baseURL: String, endpoint: String) -> String {
        Self.trimmed(baseURL) + endpoint + "?size=\(Self.pageSize)"
    }

    /// Reads one page.
    /// - Parameters:
    ///   - body: The response body (JSON).
    ///   - baseURL: The `--admin-url`; a relative `next` (`/services?offset=…`, what Kong writes) is resolved
    ///     against it, keeping a path prefix of the base only when `next` does not already carry it. An absolute
    ///     `next` is followed only on the same origin; on another one only its path and query are used.
    ///   - endpoint: The list endpoint read (`/services`), named in errors.
    /// - Throws: `KongImportError` when the body is not a page.
    public static func page(_ body: [UInt8], baseURL: String, endpoint: String) throws(KongImportError) -> Page {
        let value: JSONValue
        do {
            value = try JSONCodec.parse(body)
        } catch {
            throw KongImportError("GET \(endpoint): the answer is not JSON (\(error))")
        }
        guard let data = value["data"]?.arrayValue else {
            throw KongImportError("GET \(endpoint): the answer has no 'data' list (is this a Kong Admin API?)")
        }
        guard var next = value["next"]?.stringValue, !next.isEmpty else { return Page(data: data, next: nil) }
        let base = Self.trimmed(baseURL)
        let origin = Self.origin(base)
        if next.lowercased().hasPrefix("http://") || next.lowercased().hasPrefix("https://") {
            // The `--admin-header` credentials (an RBAC token) go with every page: only the Admin API's own origin
            // is ever asked. An absolute `next` naming another origin (an address Kong knows itself by, or a
            // hostile answer, or http after https) is read for its path and query only, against `--admin-url`.
            if Self.origin(next).lowercased() == origin.lowercased() { return Page(data: data, next: next) }
            let afterScheme = next[next.range(of: "://")!.upperBound...]
            next = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
        }
        let prefix = String(base.dropFirst(origin.count))
        let path = next.hasPrefix("/") ? next : "/" + next
        let resolved = (!prefix.isEmpty && !path.hasPrefix(prefix + "/")) ? origin + prefix + path : origin + path
        return Page(data: data, next: resolved)
    }

    /// `url` as a message or the written configuration may show it: user information (`user:password@`) becomes
    /// `***@` and a query or fragment `?***`, so an `--admin-url` carrying credentials never reaches stderr or the
    /// output file (the same redaction as configuration errors).
    public static func redacted(_ url: String) -> String { ConfigRedaction.url(url) }

    /// `scheme://authority` of a URL.
    static func origin(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return url }
        return String(url[..<slash])
    }

    private static func trimmed(_ url: String) -> String {
        var text = url
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

import PEPCore
import PEPProxy

/// Reading the parts of a request the development authorization server cares about.
enum DevRequest {
    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1), or `nil`.
    static func bearerToken(_ request: HTTPRequestMessage) -> String? {
        guard let value = request.header("Authorization") else { return nil }
        let trimmed = value.trimmingSpaces()
        guard trimmed.utf8.count > 7, trimmed.prefix(7).lowercased() == "bearer " else { return nil }
        let token = String(trimmed.dropFirst(7)).trimmingSpaces()
        return token.isEmpty ? nil : token
    }

    /// `Authorization: Basic` credentials, both as sent (`curl -u`) and form-decoded after the split
    /// (RFC 6749 §2.3.1), or `nil`.
    static func basicCredentials(
        _ request: HTTPRequestMessage
    ) -> (clientId: String, secret: String, rawClientId: String, rawSecret: String)? {
        guard let value = request.header("Authorization") else { return nil }
        let trimmed = value.trimmingSpaces()
        guard trimmed.utf8.count > 6, trimmed.prefix(6).lowercased() == "basic ",
            let decoded = FormURLEncoding.decodeBase64(String(trimmed.dropFirst(6)).trimmingSpaces())
        else { return nil }
        let text = String(decoding: decoded, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let rawId = String(text[..<colon])
        let rawSecret = String(text[text.index(after: colon)...])
        return (FormURLEncoding.decode(rawId), FormURLEncoding.decode(rawSecret), rawId, rawSecret)
    }

    /// The body as a JSON object, or `nil` when it is not one.
    static func jsonObject(_ request: HTTPRequestMessage) -> [String: JSONValue]? {
        JSONText.parse(request.body)?.objectValue
    }

    /// The form fields of the body.
    static func form(_ request: HTTPRequestMessage) -> [(name: String, value: String)] {
        FormURLEncoding.parse(request.body)
    }

    /// The query fields.
    static func query(_ request: HTTPRequestMessage) -> [(name: String, value: String)] {
        FormURLEncoding.parse(request.query ?? "")
    }

    /// An array of strings, or `nil` if `value` is absent or anything else.
    static func strings(_ value: JSONValue?) -> [String]? {
        guard let items = value?.arrayValue else { return nil }
        var out: [String] = []
        for item in items {
            guard let s = item.stringValue else { return nil }
            out.append(s)
        }
        return out
    }

    /// A non-blank string member, or `nil`.
    static func nonBlank(_ value: JSONValue?) -> String? {
        guard let s = value?.stringValue, !s.trimmingSpaces().isEmpty else { return nil }
        return s
    }
}

/// Building the server's responses.
enum DevResponse {
    /// A JSON response (`Content-Type: application/json`), with `Cache-Control: no-store` when `noStore`
    /// (RFC 6749 §5.1 for anything carrying a token).
    static func json(
        _ status: Int, _ value: JSONValue, noStore: Bool = false, headers: [(name: String, value: String)] = []
    ) -> HTTPResponseMessage {
        var extra = headers
        if noStore {
            extra.append(("Cache-Control", "no-store"))
            extra.append(("Pragma", "no-cache"))
        }
        return HTTPResponseMessage.json(status, JSONText.render(value), headers: extra)
    }

    /// An error body `{"error": code, "error_description": description}` plus `extra` members
    /// (oxd error shape, SPEC Part B §4; OAuth/UMA error shape, RFC 6749 §5.2, SPEC Part B §5.7).
    static func error(
        _ status: Int, _ code: String, _ description: String, extra: [String: JSONValue] = [:],
        headers: [(name: String, value: String)] = []
    ) -> HTTPResponseMessage {
        var members: [String: JSONValue] = ["error": .string(code), "error_description": .string(description)]
        for (key, value) in extra { members[key] = value }
        return self.json(status, .object(members), noStore: true, headers: headers)
    }

    /// An HTML page (`text/html; charset=utf-8`, never cached).
    static func html(_ status: Int, _ page: String) -> HTTPResponseMessage {
        HTTPResponseMessage(
            status: status,
            headers: [
                ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                ("X-Frame-Options", "DENY"),
                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
            ],
            body: Array(page.utf8))
    }

    /// `404 {"error":"not_found"}`.
    static func notFound(_ path: String) -> HTTPResponseMessage {
        self.error(404, "not_found", "no endpoint at \(path)")
    }

    /// `405 {"error":"method_not_allowed"}` with `Allow`.
    static func methodNotAllowed(_ allowed: String) -> HTTPResponseMessage {
        self.error(405, "method_not_allowed", "use \(allowed)", headers: [("Allow", allowed)])
    }

    /// Escapes `& < > " '` for HTML text and attribute values.
    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension StringProtocol {
    /// The string without leading and trailing ASCII spaces and tabs.
    func trimmingSpaces() -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}

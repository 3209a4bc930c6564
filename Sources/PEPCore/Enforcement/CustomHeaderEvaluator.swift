/// Evaluates `custom_headers` (SPEC A11, Part B §1.1) over `introspect_data` and `consumer`, as the
/// reference's `make_headers` / `map_header` do, with uma-pep's path language instead of Lua.
///
/// Per header: the expression's value (`nil` or JSON `null` → header skipped); the name with `_` → `-` (and,
/// with `iterate`, one header per member of an object — keys in sorted order — or per element of an array —
/// keys `1`, `2`, … as Lua would — with `{*}` replaced by the key); the value encoded per format:
///
/// | format (default) | object / array | string, number, bool |
/// |---|---|---|
/// | `string` (scalars) | `CanonicalJSON` text | the text (`true`/`false` for bools) |
/// | `base64` (tables) | base64(JSON), padded | base64(text), padded |
/// | `jwt` | unsigned JWT of the value | skipped |
/// | `urlencoded` | percent-encoded JSON | percent-encoded text |
/// | `list` | non-empty array of strings/numbers joined with `sep`; else skipped | skipped |
///
/// Path segments walk object members; on arrays a decimal segment is a 1-based index (Lua tables).
/// Later headers replace earlier ones with the same name (case-insensitive), as the reference's table does.
/// Every resulting name must be a token and not reserved, and every value must pass
/// `HeaderField.isValidValue` — otherwise the whole evaluation fails (fail closed, SECURITY.md case 19).
/// The result is a pure function of its inputs, so the shell may cache it per (service, token).
public enum CustomHeaderEvaluator {
    /// Evaluates headers for an authenticated token, or for an anonymous request when `introspection` is nil
    /// (`introspect_data = {}`, no consumer; Part B §2.2 A2 with `consumer_mapping` off).
    /// - Parameters:
    ///   - headers: the service's custom headers, in configuration order.
    ///   - introspection: the active introspection result, or `nil` for anonymous.
    ///   - consumer: the mapped consumer (also added as `introspect_data.consumer`), if any.
    /// - Returns: the fields to set upstream, or the first unsafe header.
    public static func evaluate(
        headers: [CustomHeader],
        introspection: IntrospectionResult?,
        consumer: Consumer?
    ) -> Result<[HeaderField], UpstreamHeaderError> {
        if headers.isEmpty { return .success([]) }
        let data = introspection?.introspectData(consumer: consumer) ?? .object([:])
        return Self.evaluate(headers: headers, introspectData: data, consumer: consumer?.jsonValue)
    }

    /// Evaluates headers over explicit environments.
    /// - Parameters:
    ///   - headers: the custom headers.
    ///   - introspectData: the `introspect_data` value.
    ///   - consumer: the `consumer` value, or `nil` when no consumer is mapped.
    /// - Returns: the fields to set upstream, or the first unsafe header.
    public static func evaluate(
        headers: [CustomHeader],
        introspectData: JSONValue,
        consumer: JSONValue?
    ) -> Result<[HeaderField], UpstreamHeaderError> {
        var fields: [HeaderField] = []
        fields.reserveCapacity(headers.count)
        for header in headers {
            let value: JSONValue?
            switch header.expression {
            case .introspectData(let path): value = Self.walk(introspectData, path)
            case .consumer(let path): value = consumer.flatMap { Self.walk($0, path) }
            case .literal(let text): value = .string(text)
            }
            guard let value else { continue }
            if header.iterate {
                for (key, member) in Self.members(of: value) {
                    let name = Self.headerName(header.headerName.replacingPlaceholder(with: key))
                    if let failure = Self.append(name, member, header, to: &fields) { return .failure(failure) }
                }
            } else {
                if let failure = Self.append(Self.headerName(header.headerName), value, header, to: &fields) {
                    return .failure(failure)
                }
            }
        }
        return .success(fields)
    }

    /// Config-time check of a custom header's name, so the config layer can name the header in its error.
    /// With `iterate`, `{*}` stands for a key and is checked as `x`.
    /// - Parameter header: a configured custom header.
    /// - Returns: `nil` when the name is usable, else the error.
    public static func validateName(of header: CustomHeader) -> UpstreamHeaderError? {
        let name = Self.headerName(
            header.iterate ? header.headerName.replacingPlaceholder(with: "x") : header.headerName
        )
        if !HeaderField.isValidName(name) { return .invalidName(header: header.headerName) }
        if Self.isReservedName(name) { return .reservedName(header: header.headerName) }
        return nil
    }

    /// Names a custom header may never set: message framing and routing (`Host`, `Content-Length`,
    /// `Transfer-Encoding`), hop-by-hop fields (RFC 9110 §7.6.1), credentials governed by `pass_credentials`
    /// (`Authorization`, `Proxy-Authorization`), and headers uma-pep itself sets (`X-Anonymous-Consumer`,
    /// `X-Forwarded-For/-Proto/-Host`). Lower-case.
    public static let reservedNames: [String] = [
        "authorization", "connection", "content-length", "host", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "x-anonymous-consumer", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
    ]

    /// Whether a header name is in `reservedNames` (case-insensitive).
    /// - Parameter name: a header name.
    /// - Returns: `true` when a custom header may not use it.
    public static func isReservedName(_ name: some StringProtocol) -> Bool {
        Self.reservedNames.contains { HeaderField.namesEqual($0, name) }
    }

    /// `_` → `-` (the reference's `header_name:gsub("_", "-")`).
    static func headerName(_ configured: String) -> String {
        guard configured.utf8.contains(UInt8(ascii: "_")) else { return configured }
        return String(decoding: configured.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }

    private static func append(
        _ name: String,
        _ value: JSONValue,
        _ header: CustomHeader,
        to fields: inout [HeaderField]
    ) -> UpstreamHeaderError? {
        guard let encoded = Self.encode(value, format: header.format, separator: header.separator) else { return nil }
        guard HeaderField.isValidName(name) else { return .invalidName(header: header.headerName) }
        guard !Self.isReservedName(name) else { return .reservedName(header: header.headerName) }
        guard HeaderField.isValidValue(encoded) else { return .unsafeValue(header: header.headerName) }
        if let existing = fields.firstIndex(where: { HeaderField.namesEqual($0.name, name) }) {
            fields[existing] = HeaderField(name: name, value: encoded)
        } else {
            fields.append(HeaderField(name: name, value: encoded))
        }
        return nil
    }

    /// Encodes one value per format (table above); `nil` = skip the header.
    static func encode(_ value: JSONValue, format: CustomHeaderFormat?, separator: String) -> String? {
        let isTable: Bool
        switch value {
        case .null: return nil
        case .array, .object: isTable = true
        case .bool, .int, .double, .string: isTable = false
        }
        switch format ?? (isTable ? .base64 : .string) {
        case .string:
            return isTable ? CanonicalJSON.string(value) : Self.text(of: value)
        case .base64:
            return Base64.encode(
                isTable ? CanonicalJSON.encode(value) : Array(Self.text(of: value).utf8),
                padding: true
            )
        case .jwt:
            return isTable ? UnsignedJWT.make(payload: value) : nil
        case .urlencoded:
            return URIComponentEncoding.encode(isTable ? CanonicalJSON.string(value) : Self.text(of: value))
        case .list:
            guard case .array(let elements) = value, !elements.isEmpty else { return nil }
            var parts: [String] = []
            parts.reserveCapacity(elements.count)
            for element in elements {
                switch element {
                case .string, .int, .double: parts.append(Self.text(of: element))
                default: return nil
                }
            }
            return parts.joined(separator: separator)
        }
    }

    /// The text of a scalar as Lua's `tostring` gives it.
    private static func text(of value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number): return CanonicalJSON.text(of: number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null, .array, .object: return CanonicalJSON.string(value)
        }
    }

    private static func walk(_ root: JSONValue, _ path: [String]) -> JSONValue? {
        var current = root
        for segment in path {
            switch current {
            case .object(let members):
                guard let next = members[segment] else { return nil }
                current = next
            case .array(let elements):
                guard let index = Int(segment), index >= 1, index <= elements.count else { return nil }
                current = elements[index - 1]
            default:
                return nil
            }
        }
        return current == .null ? nil : current
    }

    /// `pairs(value)` of an `iterate` header: object members by sorted key, array elements by 1-based index.
    private static func members(of value: JSONValue) -> [(String, JSONValue)] {
        switch value {
        case .object(let members):
            return members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { ($0, members[$0] ?? .null) }
        case .array(let elements):
            return elements.enumerated().map { (String($0.offset + 1), $0.element) }
        default:
            return []
        }
    }
}

extension String {
    /// Replaces every `{*}` with `key` (the `iterate` placeholder of Part B §1.1).
    func replacingPlaceholder(with key: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: "{*}") {
            result += rest[..<range.lowerBound]
            result += key
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

/// Serializes whole responses generated locally (PEP catalogue, local responders, errors) into HTTP/1.1 bytes.
enum ResponseSerializer {
    /// `HTTP/1.1 <status> <reason>`, the given headers (invalid ones dropped: STYLE rule 10), `Date`,
    /// `Content-Length`, and `Connection: close` when `close`.
    ///
    /// - Parameters:
    ///   - omitBody: HEAD responses keep `Content-Length` but carry no body (RFC 9110 §9.3.2).
    static func serialize(
        _ response: HTTPResponseMessage, close: Bool, omitBody: Bool = false, keepAliveHeader: Bool = false
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + response.body.count + response.headers.count * 32)
        Self.appendStatusLine(response.status, to: &out)
        for (name, value) in response.headers where HeaderValidation.isValidField(name: name, value: value) {
            if name.caseInsensitiveEquals("content-length") || name.caseInsensitiveEquals("connection")
                || name.caseInsensitiveEquals("transfer-encoding")
            {
                continue
            }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: [0x3A, 0x20])
            out.append(contentsOf: value.utf8)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: HTTPDate.now())
        out.append(contentsOf: [0x0D, 0x0A])
        let bodiless = (100..<200).contains(response.status) || response.status == 204 || response.status == 304
        if !bodiless {
            out.append(contentsOf: "Content-Length: \(response.body.count)\r\n".utf8)
        }
        if close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if keepAliveHeader {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: [0x0D, 0x0A])
        if !omitBody && !bodiless { out.append(contentsOf: response.body) }
        return out
    }

    static func appendStatusLine(_ status: Int, to out: inout [UInt8]) {
        out.append(contentsOf: "HTTP/1.1 \(status) \(Self.reason(status))\r\n".utf8)
    }

    /// The RFC 9110 §15 reason phrase for `status` (empty for unknown codes, which is allowed).
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 417: return "Expectation Failed"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return ""
        }
    }
}

/// RFC 9110 §5.1 / §5.5 field checks for everything uma-pep emits (STYLE rule 10).
enum HeaderValidation {
    /// `field-name = token`, `field-value` without CR, LF, NUL or other CTL except HTAB.
    static func isValidField(name: String, value: String) -> Bool {
        Self.isToken(name) && Self.isValidValue(value)
    }

    /// RFC 9110 §5.6.2 `token`.
    static func isToken(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                continue
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
                UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// A field value with no CTL other than HTAB (obs-text allowed).
    static func isValidValue(_ text: String) -> Bool {
        for byte in text.utf8 where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            return false
        }
        return true
    }
}

import PEPCore

/// Builds the request head sent upstream (SPEC A5, A6, A11; SECURITY 10, 11, 18, 35): the canonical path,
/// client headers minus hop-by-hop, `Connection`-nominated, routing and PEP-owned ones, then the headers
/// uma-pep itself sets — which a client's `Connection` header can never remove (they are added after removal).
enum RequestForwarder {
    /// Hop-by-hop (RFC 9110 §7.6.1) and framing fields the proxy regenerates.
    static let alwaysDropped: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "transfer-encoding", "host",
        "expect", "proxy-authorization", "proxy-authenticate", "x-request-id", "content-length",
        "traceparent", "tracestate",
    ]

    /// Routing and identity fields dropped unless the peer is a trusted proxy (SECURITY 10, 35).
    static let untrustedDropped: [String] = [
        "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-forwarded-prefix",
        "x-forwarded-uri", "x-forwarded-method", "x-forwarded-server", "x-forwarded-ssl", "forwarded", "x-real-ip",
        "x-original-url", "x-original-uri", "x-rewrite-url", "x-original-method",
        "x-http-method-override", "x-http-method", "x-method-override",
    ]

    /// Header names reserved for uma-pep (SECURITY 18): client copies never reach the upstream.
    static let reserved: [String] = ReservedHeaderNames.identityDefaults

    /// `alwaysDropped` and `reserved`, for the per-field lookup.
    private static let droppedNames = HeaderNameSet(Self.alwaysDropped + Self.reserved)
    /// `untrustedDropped`, for the per-field lookup.
    private static let untrustedNames = HeaderNameSet(Self.untrustedDropped)

    /// Writes the upstream request head into `out`, replacing what it held (a buffer the worker reuses: no
    /// allocation per request). The facts come as parameters, not in a struct: building and destroying one per
    /// request retained and released each of its strings.
    /// - Parameters:
    ///   - path: the canonical path (SPEC A5); `query`: the raw query, if any.
    ///   - peerHost: the client's numeric address (`X-Forwarded-For`); `peerTrusted`: a trusted proxy, whose
    ///     `X-Forwarded-*` are kept.
    ///   - scheme: the listener's scheme (`X-Forwarded-Proto`).
    ///   - requestId: a client's id kept under `trust_request_id`, or `nil`: a new one is generated.
    ///   - via: the `Via` value (RFC 9110 §7.6.3).
    ///   - upstreamVersion10: `HTTP/1.0` upstream when the client spoke 1.0 (so no chunked response comes back).
    ///   - trace: the W3C trace context sent as `traceparent`; `traceStateIndex`: the client's `tracestate`
    ///     line, forwarded with a kept `traceparent`.
    ///   - webSocket: a WebSocket opening handshake (`WebSocketUpgrade`): `Connection: Upgrade` and
    ///     `Upgrade: websocket` are sent (uma-pep's own fields; the client's hop-by-hop ones are dropped).
    static func build(
        head: RequestHead, path: String, query: String?, service: ProxyService, mutations: HeaderMutations,
        peerHost: String?, peerTrusted: Bool, scheme: String, requestId: String?, via: String,
        upstreamVersion10: Bool, trace: TraceContext?, traceStateIndex: Int?, webSocket: Bool, into out: HeadBuffer
    ) {
        out.reset()
        head.withUnsafeMethodAndSpaceBytes { out.append($0) }
        if !service.upstream.basePath.isEmpty { out.append(service.upstream.basePath) }
        out.append(path)
        if let query {
            out.append(UInt8(ascii: "?"))
            out.append(query)
        }
        out.append(upstreamVersion10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n" as StaticString)
        head.headers.withUnsafeBytes { bytes in
            out.append("Host: ")
            if service.preserveHost, let host = head.known.host {
                out.append(UnsafeRawBufferPointer(rebasing: bytes[head.headers.valueRange(at: host)]))
            } else {
                out.append(service.upstream.hostHeader)
            }
            out.appendCRLF()
            var forwardedFor: String?
            var clientSentProto = false
            var clientSentHost = false
            let nominated = head.known.connectionNominatesOthers ? head.headers.connectionTokens(in: bytes) : []
            for index in head.headers.indices {
                let nameRange = head.headers.nameRange(at: index)
                let name = UnsafeRawBufferPointer(rebasing: bytes[nameRange])
                if peerTrusted {
                    // A trusted proxy's X-Forwarded-Proto / -Host are kept and ours are not added.
                    clientSentProto = clientSentProto || Self.equals(name, "x-forwarded-proto")
                    clientSentHost = clientSentHost || Self.equals(name, "x-forwarded-host")
                }
                if Self.droppedNames.contains(name) { continue }
                if mutations.removesNames, mutations.removeNames.contains(name) { continue }
                if !mutations.removePatterns.isEmpty,
                    Self.matchesPattern(name, mutations.removePatterns)
                {
                    continue
                }
                if !peerTrusted, Self.untrustedNames.contains(name) { continue }
                if peerTrusted, Self.equals(name, "x-forwarded-for") {
                    forwardedFor = head.headers.value(at: index)
                    continue
                }
                if !nominated.isEmpty, HTTP1HeaderFields.lists(nominated, name, in: bytes) { continue }
                // The line range includes its CRLF.
                out.append(UnsafeRawBufferPointer(rebasing: bytes[head.headers.lineRange(at: index)]))
            }
            switch head.framing {
            case .contentLength(let length):
                out.append("Content-Length: ")
                out.appendDecimal(length)
                out.appendCRLF()
            case .chunked:
                out.append("Transfer-Encoding: chunked\r\n")
            case .none:
                break
            }
            // Checked and made once with the decision (`HeaderMutations.setLines`).
            let setLines = mutations.setLines
            if !setLines.isEmpty { setLines.withUnsafeBytes { out.append($0) } }
            if webSocket { out.append("Connection: Upgrade\r\nUpgrade: websocket\r\n") }
            if let peer = peerHost {
                if let forwardedFor {
                    Self.appendField("X-Forwarded-For", "\(forwardedFor), \(peer)", to: out)
                } else {
                    // The peer's numeric address, formatted by uma-pep.
                    Self.appendBuilt("X-Forwarded-For: ", peer, to: out)
                }
            }
            if !clientSentProto {
                Self.appendBuilt("X-Forwarded-Proto: ", scheme, to: out)
            }
            if !clientSentHost, let host = head.known.host {
                // The Host value passed the request parser's field-value check.
                out.append("X-Forwarded-Host: ")
                out.append(UnsafeRawBufferPointer(rebasing: bytes[head.headers.valueRange(at: host)]))
                out.appendCRLF()
            }
            if let trace = trace {
                // W3C Trace Context: never the client's bytes unless they parsed as valid (version 00 is written).
                out.append("traceparent: ")
                trace.append(to: out)
                out.appendCRLF()
                if let state = traceStateIndex {
                    out.append("tracestate: ")
                    out.append(UnsafeRawBufferPointer(rebasing: bytes[head.headers.valueRange(at: state)]))
                    out.appendCRLF()
                }
            }
        }
        if let requestId = requestId {
            Self.appendBuilt("X-Request-Id: ", requestId, to: out)
        } else {
            out.append("X-Request-Id: ")
            RequestID.append(to: out)
            out.appendCRLF()
        }
        Self.appendBuilt("Via: ", via, to: out)
        out.appendCRLF()
    }

    /// Appends `name: value` when both are valid (STYLE rule 10); invalid fields are dropped, never sent.
    static func appendField(_ name: String, _ value: String, to out: HeadBuffer) {
        guard HeaderValidation.isValidField(name: name, value: value) else { return }
        out.append(name)
        out.append(": ")
        out.append(value)
        out.appendCRLF()
    }

    /// Appends a field whose name and value uma-pep made itself (a constant, its scheme, a generated id or a
    /// validated configuration string), so the per-byte check of `appendField` is not repeated per request.
    /// - Parameter nameAndColon: the name followed by `": "`.
    static func appendBuilt(_ nameAndColon: StaticString, _ value: String, to out: HeadBuffer) {
        out.append(nameAndColon)
        out.append(value)
        out.appendCRLF()
    }

    static func matchesPattern(_ name: UnsafeRawBufferPointer, _ patterns: [ReservedHeaderNames.Pattern]) -> Bool {
        let text = String(decoding: name, as: UTF8.self).lowercased()
        return patterns.contains {
            text.count > $0.prefix.count + $0.suffix.count && text.hasPrefix($0.prefix) && text.hasSuffix($0.suffix)
        }
    }

    /// ASCII case-insensitive comparison of raw name bytes with a lower-case candidate.
    static func equals(_ name: UnsafeRawBufferPointer, _ lowercased: String) -> Bool {
        guard name.count == lowercased.utf8.count else { return false }
        // Native strings: compared over their contiguous UTF-8 (no UTF8View iteration).
        if let equal = lowercased.utf8.withContiguousStorageIfAvailable({ candidate -> Bool in
            for index in 0..<candidate.count where HTTP1Grammar.lowercased(name[index]) != candidate[index] {
                return false
            }
            return true
        }) {
            return equal
        }
        return zip(name, lowercased.utf8).allSatisfy { HTTP1Grammar.lowercased($0) == $1 }
    }
}

private import CCurl
import Foundation

/// One in-flight libcurl easy transfer: owns the easy handle, its header list and error buffer, and collects the
/// response. Lives only on the control-plane thread (created when a queued call is started, released after its
/// completion handler ran).
final class CurlTransfer {
    /// The easy handle (`CURL *`), owned: cleaned up in `deinit`.
    let easy: UnsafeMutableRawPointer
    /// Called once, on the control-plane thread, with the outcome.
    let completion: @Sendable (HTTPResult) -> Void
    private let maxBodyBytes: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var body: [UInt8] = []
    private var headers: [HTTPField] = []
    private var bodyTooLarge = false

    /// Creates and configures an easy handle for `call`.
    /// - Throws: `ControlPlaneError.invalidRequest` when the method, URL or a header cannot be sent safely, or
    ///   curl rejects an option.
    init(call: HTTPCall, completion: @escaping @Sendable (HTTPResult) -> Void) throws(ControlPlaneError) {
        try CurlTransfer.validate(call)
        guard let easy = curl_easy_init() else { throw .invalidRequest("curl_easy_init failed") }
        self.easy = easy
        self.completion = completion
        self.maxBodyBytes = max(0, call.options.maxResponseBodyBytes)
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try self.configure(call)
    }

    deinit {
        curl_easy_cleanup(self.easy)
        if let list = self.headerList { curl_slist_free_all(list) }
        self.errorBuffer.deallocate()
    }

    /// Appends received body bytes; returns `false` (abort the transfer) past the size cap.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard self.body.count + bytes.count <= self.maxBodyBytes else {
            self.bodyTooLarge = true
            return false
        }
        self.body.append(contentsOf: bytes)
        return true
    }

    /// Records one raw header line; a status line starts a new header block (interim `1xx` responses).
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        var line = Array(bytes)
        while let last = line.last, last == 0x0A || last == 0x0D { line.removeLast() }
        if line.starts(with: Array("HTTP/".utf8)) {
            self.headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            .trimmingCharacters(in: [" ", "\t"])
        self.headers.append(HTTPField(name: name, value: value))
    }

    /// The outcome for curl's final result code.
    func result(forCode rawCode: UInt32) -> HTTPResult {
        let code = CURLcode(rawValue: rawCode)
        if code == CURLE_OK {
            var status = 0
            _ = CCurl_easy_getinfo_long(self.easy, CURLINFO_RESPONSE_CODE, &status)
            return .response(HTTPResponse(status: status, headers: self.headers, body: self.body))
        }
        if self.bodyTooLarge || code == CURLE_FILESIZE_EXCEEDED {
            return .failure(.responseTooLarge(limitBytes: self.maxBodyBytes))
        }
        let message =
            self.errorBuffer.pointee != 0
            ? String(cString: self.errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timeout)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(.connect(message))
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_CLIENTCERT,
            CURLE_USE_SSL_FAILED:
            return .failure(.tls(message))
        default:
            return .failure(.transport(message))
        }
    }

    private func configure(_ call: HTTPCall) throws(ControlPlaneError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        var failed = false
        func check(_ code: CURLcode) { if code != CURLE_OK { failed = true } }

        check(CCurl_easy_setopt_str(self.easy, CURLOPT_URL, call.url))
        check(CCurl_easy_setopt_str(self.easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        check(CCurl_easy_setopt_long(self.easy, CURLOPT_NOSIGNAL, 1))
        check(CCurl_easy_setopt_long(self.easy, CURLOPT_FOLLOWLOCATION, 0))
        check(
            CCurl_easy_setopt_long(
                self.easy, CURLOPT_CONNECTTIMEOUT_MS,
                CurlTransfer.milliseconds(
                    call.options.connectTimeout)))
        check(
            CCurl_easy_setopt_long(
                self.easy, CURLOPT_TIMEOUT_MS,
                CurlTransfer.milliseconds(
                    call.options.totalTimeout)))
        check(CCurl_easy_setopt_long(self.easy, CURLOPT_MAXFILESIZE, self.maxBodyBytes))
        check(CCurl_easy_setopt_ptr(self.easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(self.errorBuffer)))
        check(CCurl_easy_setopt_ptr(self.easy, CURLOPT_PRIVATE, context))
        check(CCurl_easy_setopt_writefn(self.easy, CURLOPT_WRITEFUNCTION, curlTransferWriteThunk))
        check(CCurl_easy_setopt_ptr(self.easy, CURLOPT_WRITEDATA, context))
        check(CCurl_easy_setopt_writefn(self.easy, CURLOPT_HEADERFUNCTION, curlTransferHeaderThunk))
        check(CCurl_easy_setopt_ptr(self.easy, CURLOPT_HEADERDATA, context))

        if let caFile = call.options.tls.caFile {
            check(CCurl_easy_setopt_str(self.easy, CURLOPT_CAINFO, caFile))
        }
        if let certificate = call.options.tls.clientCertificatePath {
            check(CCurl_easy_setopt_str(self.easy, CURLOPT_SSLCERT, certificate))
            if let key = call.options.tls.clientPrivateKeyPath {
                check(CCurl_easy_setopt_str(self.easy, CURLOPT_SSLKEY, key))
            }
        }
        if call.options.tls.insecureSkipVerify {
            check(CCurl_easy_setopt_long(self.easy, CURLOPT_SSL_VERIFYPEER, 0))
            check(CCurl_easy_setopt_long(self.easy, CURLOPT_SSL_VERIFYHOST, 0))
        }

        // "Expect:" stops curl from sending `Expect: 100-continue` (and waiting 1 s) for larger POST bodies.
        var list: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Expect:")
        for field in call.headers {
            // "Name;" is curl's spelling of a header with an empty value ("Name:" would remove it).
            let line = field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
            list = curl_slist_append(list, line)
        }
        self.headerList = list
        check(CCurl_easy_setopt_slist(self.easy, CURLOPT_HTTPHEADER, list))

        switch call.method {
        case "GET" where call.body.isEmpty:
            check(CCurl_easy_setopt_long(self.easy, CURLOPT_HTTPGET, 1))
        case "HEAD" where call.body.isEmpty:
            check(CCurl_easy_setopt_long(self.easy, CURLOPT_NOBODY, 1))
        default:
            if call.method != "POST" {
                check(CCurl_easy_setopt_str(self.easy, CURLOPT_CUSTOMREQUEST, call.method))
            }
            if call.method == "POST" || !call.body.isEmpty {
                check(CCurl_easy_setopt_long(self.easy, CURLOPT_POSTFIELDSIZE, call.body.count))
                if call.body.isEmpty {
                    check(CCurl_easy_setopt_str(self.easy, CURLOPT_COPYPOSTFIELDS, ""))
                } else {
                    call.body.withUnsafeBytes { raw in
                        check(
                            CCurl_easy_setopt_ptr(
                                self.easy, CURLOPT_COPYPOSTFIELDS,
                                UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                    }
                }
            }
        }
        if failed { throw .invalidRequest("curl rejected an option") }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        let total = seconds.multipliedReportingOverflow(by: 1000)
        guard !total.overflow, total.partialValue >= 0 else { return seconds < 0 ? 1 : Int.max / 2 }
        return max(1, Int(total.partialValue) + Int(attoseconds / 1_000_000_000_000_000))
    }

    /// Rejects what must never reach the wire: non-token methods, non-HTTP(S) URLs, control bytes in the URL,
    /// invalid header names and CR/LF/NUL in header values (RFC 9110 §5.1, §5.5).
    private static func validate(_ call: HTTPCall) throws(ControlPlaneError) {
        guard !call.method.isEmpty, call.method.utf8.allSatisfy(CurlTransfer.isTokenByte) else {
            throw .invalidRequest("invalid method")
        }
        let lowerURL = call.url.lowercased()
        guard lowerURL.hasPrefix("http://") || lowerURL.hasPrefix("https://") else {
            throw .invalidRequest("URL scheme must be http or https")
        }
        guard call.url.utf8.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw .invalidRequest("control character or space in URL")
        }
        for field in call.headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(CurlTransfer.isTokenByte) else {
                throw .invalidRequest("invalid header name")
            }
            guard field.value.utf8.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                throw .invalidRequest("control character in header value")
            }
        }
    }

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT /
    /// ALPHA   (RFC 9110 §5.6.2)
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}

/// `CURLOPT_WRITEFUNCTION`: hands body bytes to the transfer; returning less than offered aborts (size cap).
private func curlTransferWriteThunk(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard length > 0, let data else { return 0 }
    return transfer.appendBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

/// `CURLOPT_HEADERFUNCTION`: one complete header line per call.
private func curlTransferHeaderThunk(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let context else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    guard let data else { return length }
    transfer.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

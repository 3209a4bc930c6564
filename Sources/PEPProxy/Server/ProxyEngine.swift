import PEPCore
import Synchronization

/// One service as the data plane sees it (Kong's service + route): where requests go and how they are
/// rewritten. Access decisions are the `RequestAuthorizer`'s.
///
/// A class, not a struct: the exchange reads its service on every request, and a reference is one retain where a
/// copy of the struct retained each of its strings (callgrind, cached-grant path).
public final class ProxyService: Sendable {
    /// The service name (logs, metrics, cache scope).
    public let name: String
    /// Where to forward.
    public let upstream: UpstreamTarget
    /// Send the client's `Host` upstream instead of the upstream's (Kong `preserve_host`). Default false.
    public let preserveHost: Bool

    /// Creates a service.
    public init(name: String, upstream: UpstreamTarget, preserveHost: Bool = false) {
        self.name = name
        self.upstream = upstream
        self.preserveHost = preserveHost
    }
}

/// Proxy-wide options that are not limits.
public struct ProxyOptions: Sendable {
    /// Peers whose `X-Forwarded-*` and routing headers are kept (SPEC A6, SECURITY 10). Default: none.
    public var trustedProxies: [CIDRRange] = []
    /// Keep a client-sent valid `X-Request-Id` (otherwise one is generated). Default false.
    public var trustRequestId = false
    /// Request-target canonicalization (SPEC A5).
    public var canonical = CanonicalTarget.Options()
    /// The value of the `Via` header added to forwarded requests (RFC 9110 §7.6.3).
    public var via = "1.1 uma-pep"

    /// The defaults.
    public init() {}
}

extension [CIDRRange] {
    /// Whether the TCP peer `host` (an IP literal, as `SocketAddress.host` gives it; `nil`: none) is in one of
    /// these ranges (`ProxyOptions.trustedProxies`). A host that is not an IP literal is not trusted. Nothing is
    /// parsed when the list is empty. On the list itself, not on `ProxyOptions`: a method of the options copied
    /// the whole struct per request (callgrind: +150 instructions a cached grant), and only the empty-list test is
    /// inlined (a call per request cost 25 more).
    @inline(__always)
    public func trusts(peerHost host: String?) -> Bool {
        self.isEmpty ? false : self.containsPeer(host)
    }

    @inline(never)
    private func containsPeer(_ host: String?) -> Bool {
        guard let host, let address = IPAddress(host) else { return false }
        return self.contains { $0.contains(address) }
    }
}

/// The proxy's immutable per-configuration state: services, the host route table, options, and the authorizer.
/// A reload builds a new engine and swaps it on every worker; in-flight requests finish on the old one.
public final class ProxyEngine: Sendable {
    /// Services by index (the route table's values).
    public let services: [ProxyService]
    /// Host → service index.
    public let routes: RouteTable<Int>
    /// Options.
    public let options: ProxyOptions
    /// Who decides access.
    public let authorizer: any RequestAuthorizer
    /// Who hears about finished exchanges (metrics; the log phase in Kong's terms).
    public let observer: (any ProxyObserver)?
    #if DEBUG
        /// Exchanges of this engine alive (debug builds), not counting the one a kept-alive connection keeps for
        /// its next request: tests check that none outlives its request (sockets hold their delegates strongly
        /// until closed).
        let liveExchanges = Atomic<Int>(0)
        /// Exchange objects created (debug builds): tests check that kept-alive requests reuse theirs.
        let createdExchanges = Atomic<Int>(0)
    #endif

    /// Creates an engine.
    public init(
        services: [ProxyService], routes: RouteTable<Int>, options: ProxyOptions, authorizer: any RequestAuthorizer,
        observer: (any ProxyObserver)? = nil
    ) {
        self.services = services
        self.routes = routes
        self.options = options
        self.authorizer = authorizer
        self.observer = observer
    }
}

/// What the data plane asks the authorizer about one request (access phase, in Kong's terms).
///
/// The `Authorization` value stays in the request head's bytes until someone asks for it as a `String`: the
/// worker grant cache hashes and compares the bytes (``withAuthorizationBytes(_:)``), so a kept-alive cached grant
/// never copies its token onto the heap.
public struct AuthorizationRequest: Sendable {
    /// Index of the routed service in `ProxyEngine.services`.
    public var serviceIndex: Int
    /// The method, case-sensitive.
    public var method: String
    /// The canonical path (SPEC A5); the query never takes part.
    public var path: String
    /// The worker the request arrived on (metrics shards); `nil` off the data plane.
    public var worker: Int? = nil

    /// Where the `Authorization` value is: a string given by the caller, or a line of the request head.
    private enum Source: Sendable {
        case text(String?)
        case field(HTTP1HeaderFields, Int)
    }
    private var source: Source

    /// A request whose `Authorization` value is given as a string (tests, cold paths).
    public init(serviceIndex: Int, method: String, path: String, authorization: String?, worker: Int? = nil) {
        self.serviceIndex = serviceIndex
        self.method = method
        self.path = path
        self.source = .text(authorization)
        self.worker = worker
    }

    /// A request whose `Authorization` value is the head's own line (the data plane), read in place.
    public init(serviceIndex: Int, method: String, path: String, head: RequestHead, worker: Int? = nil) {
        self.serviceIndex = serviceIndex
        self.method = method
        self.path = path
        self.source = head.known.authorization.map { .field(head.headers, $0) } ?? .text(nil)
        self.worker = worker
    }

    /// The single `Authorization` value, if any (duplicates were already rejected by the codec). Reading it
    /// from a head-backed request builds the string.
    public var authorization: String? {
        get {
            switch self.source {
            case .text(let text): text
            case .field(let headers, let index): headers.value(at: index)
            }
        }
        set { self.source = .text(newValue) }
    }

    /// Whether the request carries an `Authorization` field (RFC 9110 §11.6.2), without reading its value.
    public var hasAuthorization: Bool {
        switch self.source {
        case .text(let text): text != nil
        case .field: true
        }
    }

    /// Calls `body` with the `Authorization` value's bytes (no copy for a head-backed request), or returns `nil`
    /// without calling it when there is none.
    public func withAuthorizationBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        switch self.source {
        case .text(nil):
            return nil
        case .text(let text?):
            var copy = text
            return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        case .field(let headers, let index):
            return headers.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[headers.valueRange(at: index)])) }
        }
    }
}

/// The authorizer's answer.
public enum AuthorizationDecision: Sendable {
    /// Forward upstream with these header changes. `detail` is the stable reason (`pep.granted`, …) for logs and
    /// metrics; `ruleIndex` the matched rule, if any.
    case forward(HeaderMutations, detail: String = "forward", ruleIndex: Int? = nil)
    /// Answer the client directly (401 + ticket, 403, 502, …).
    case respond(HTTPResponseMessage, detail: String, ruleIndex: Int? = nil)
}

/// Header changes the authorizer asks for on a forwarded request (SPEC A11, Part B §2.6). The client's copies
/// are removed first, then `set` is added, so a client's `Connection` header can never remove what uma-pep adds.
public struct HeaderMutations: Sendable, Equatable {
    /// The fields, in one immutable object: a decision is copied several times per request (worker grant cache,
    /// the exchange), and a copy is then one retain instead of one per array. Setters replace it.
    private final class Storage: Sendable {
        let remove: [String]
        let removeNames: HeaderNameSet
        let removePatterns: [ReservedHeaderNames.Pattern]
        let set: [HeaderField]
        /// `set` as field lines (`name: value\r\n` each), the invalid ones left out (RFC 9110 §5.1, §5.5:
        /// `HeaderValidation`): checked and made once with the decision, copied into each upstream head.
        let setLines: [UInt8]

        init(remove: [String], removePatterns: [ReservedHeaderNames.Pattern], set: [HeaderField]) {
            self.remove = remove
            self.removeNames = HeaderNameSet(remove)
            self.removePatterns = removePatterns
            self.set = set
            self.setLines = Self.lines(set)
        }

        init(sharing other: Storage, set: [HeaderField]) {
            self.remove = other.remove
            self.removeNames = other.removeNames
            self.removePatterns = other.removePatterns
            self.set = set
            self.setLines = Self.lines(set)
        }

        static func lines(_ fields: [HeaderField]) -> [UInt8] {
            var lines: [UInt8] = []
            for field in fields where HeaderValidation.isValidField(name: field.name, value: field.value) {
                lines.append(contentsOf: field.name.utf8)
                lines.append(contentsOf: ": ".utf8)
                lines.append(contentsOf: field.value.utf8)
                lines.append(contentsOf: "\r\n".utf8)
            }
            return lines
        }
    }
    private var storage: Storage

    /// Lower-cased names of client headers to drop (client copies of headers uma-pep sets, `authorization` for
    /// `pass_credentials: hide`).
    public var remove: [String] {
        get { self.storage.remove }
        set {
            self.storage = Storage(remove: newValue, removePatterns: self.storage.removePatterns, set: self.storage.set)
        }
    }
    /// `remove` by length, for the per-header lookup while the upstream head is built (made once, with the
    /// decision: a worker-cached grant reuses it).
    var removeNames: HeaderNameSet { self.storage.removeNames }
    /// Whether any name is removed (no array copy).
    var removesNames: Bool { !self.storage.remove.isEmpty }
    /// Name patterns (`x-{*}-id` style, from `iterate` custom headers) of client headers to drop.
    public var removePatterns: [ReservedHeaderNames.Pattern] {
        get { self.storage.removePatterns }
        set { self.storage = Storage(remove: self.storage.remove, removePatterns: newValue, set: self.storage.set) }
    }
    /// Headers to add after removal (custom headers, phantom token, `X-Anonymous-Consumer`).
    public var set: [HeaderField] {
        get { self.storage.set }
        set { self.storage = Storage(sharing: self.storage, set: newValue) }
    }

    /// The valid fields of `set` as field lines, ready to copy into an upstream head (invalid ones are dropped,
    /// never sent).
    var setLines: [UInt8] { self.storage.setLines }

    /// Creates mutations.
    public init(remove: [String] = [], removePatterns: [ReservedHeaderNames.Pattern] = [], set: [HeaderField] = []) {
        self.storage = Storage(remove: remove, removePatterns: removePatterns, set: set)
    }

    /// These removals with `set` instead of this value's additions. The removal set is shared, not built again:
    /// an authorizer keeps one `HeaderMutations` per service and derives each decision's from it (building the
    /// name set per request allocated a dozen arrays).
    public func setting(_ set: [HeaderField]) -> HeaderMutations {
        var copy = self
        copy.storage = Storage(sharing: self.storage, set: set)
        return copy
    }

    /// No changes.
    public static let none = HeaderMutations()

    /// Equal when they remove, remove by pattern and set the same.
    public static func == (lhs: HeaderMutations, rhs: HeaderMutations) -> Bool {
        lhs.storage === rhs.storage
            || (lhs.remove == rhs.remove && lhs.removePatterns == rhs.removePatterns && lhs.set == rhs.set)
    }
}

/// Decides access for proxied requests. Implemented by the enforcement driver (UMA) or `AllowAllAuthorizer`.
public protocol RequestAuthorizer: Sendable {
    /// Decides for `request`. Return the decision when it is known at once (cache hit: the hot path, no
    /// allocation); otherwise return `nil` and call `resume.resume(with:)` exactly once later, from any thread.
    func authorize(_ request: AuthorizationRequest, resume: AuthorizationResume) -> AuthorizationDecision?
}

/// Forwards every request unchanged (plain reverse proxy; benchmarks' `passthrough`).
public struct AllowAllAuthorizer: RequestAuthorizer {
    /// Creates the authorizer.
    public init() {}

    /// Always `.forward(.none)`.
    public func authorize(_ request: AuthorizationRequest, resume: AuthorizationResume) -> AuthorizationDecision? {
        .forward(.none)
    }
}

/// Resumes a request whose authorization completed asynchronously; hops onto the request's worker loop.
public struct AuthorizationResume: @unchecked Sendable {
    let loop: EventLoop?
    let exchange: ProxyExchange?

    /// A resume handle that does nothing (tests of authorizers).
    public static let detached = AuthorizationResume(loop: nil, exchange: nil)

    /// The client's numeric address (the TCP peer of the connection the request arrived on, e.g. `127.0.0.1`),
    /// or `nil` for ``detached`` and unknown peers. Read it on the request's worker loop (inside
    /// ``RequestAuthorizer/authorize(_:resume:)``); it is not computed unless asked for.
    public var peerHost: String? {
        self.exchange?.connection.peer?.host
    }

    /// The request's W3C `traceparent` value (version 00), for the authorization-server calls it causes; `nil` for
    /// ``detached``. Read it on the request's worker loop, like ``peerHost``.
    public var traceparent: String? {
        self.exchange?.trace.traceparent
    }

    /// What the claims-gathering flow (`obtain_rpt`) reads of the request: its query, `Cookie` values, `Host`, and
    /// the listener's scheme and bound port; `nil` for ``detached``. Read it on the request's worker loop; it is
    /// computed only when asked for (never on the cached-grant path).
    public var claimsContext: ClaimsRequestContext? {
        guard let exchange = self.exchange else { return nil }
        let context = exchange.connection.context
        return ClaimsRequestContext(
            query: exchange.query, cookies: exchange.head.headers.values(named: "cookie"), host: exchange.head.host,
            scheme: context.scheme, port: context.address.port)
    }

    /// Delivers the decision; safe from any thread; call once.
    public func resume(with decision: AuthorizationDecision) {
        guard let loop = self.loop, let exchange = self.exchange else { return }
        if loop.inLoop {
            exchange.authorized(decision)
        } else {
            loop.execute { [self] in self.exchange?.authorized(decision) }
        }
    }
}

/// What the data plane reports when an exchange ends (Kong's log phase): every request with a routed service or
/// not, whatever its outcome.
public struct ExchangeRecord: Sendable {
    /// The routed service, or nil (no route, rejected before routing).
    public var serviceIndex: Int?
    /// The matched protection rule, when the authorizer reported one.
    public var ruleIndex: Int?
    /// The request method.
    public var method: String
    /// The status sent to the client (0 when the connection was cut before a status line).
    public var status: Int
    /// Time from the request head to the end of the exchange, in nanoseconds.
    public var nanoseconds: Int64
    /// The stable reason (`pep.granted`, `upstream.timeout`, …).
    public var detail: String
    /// The worker that served the exchange (metrics shards).
    public var worker: Int? = nil
    /// Why the upstream side failed, if it did (`uma_pep_upstream_errors_total{kind}`).
    public var upstreamFailure: UpstreamFailure? = nil
}

/// Hears about finished exchanges; called on worker threads, must be cheap and thread-safe.
/// Class-bound: the engine holds one observer, and each exchange reads it (a reference is one retain, an
/// existential of any type a copy through its value witnesses).
public protocol ProxyObserver: AnyObject, Sendable {
    /// One exchange ended.
    func exchangeCompleted(_ record: ExchangeRecord)
    /// A WebSocket tunnel opened (the upstream's `101` was relayed) on `worker`.
    func webSocketTunnelOpened(worker: Int)
    /// A WebSocket tunnel closed after moving these bytes each way, `nanoseconds` after its handshake arrived.
    func webSocketTunnelClosed(worker: Int, clientToUpstream: UInt64, upstreamToClient: UInt64, nanoseconds: Int64)
}

extension ProxyObserver {
    /// Ignored by default.
    public func webSocketTunnelOpened(worker: Int) {}
    /// Ignored by default.
    public func webSocketTunnelClosed(
        worker: Int, clientToUpstream: UInt64, upstreamToClient: UInt64, nanoseconds: Int64
    ) {}
}

/// The parts of a request the claims-gathering flow needs besides `AuthorizationRequest` (``AuthorizationResume/claimsContext``).
public struct ClaimsRequestContext: Sendable, Equatable {
    /// The raw query string, without `?`.
    public var query: String?
    /// Every `Cookie` field value, in order.
    public var cookies: [String]
    /// The `Host` value (already used for routing).
    public var host: String?
    /// The listener's scheme, `http` or `https` (never taken from a client header).
    public var scheme: String
    /// The listener's bound port.
    public var port: Int

    /// Creates a context.
    public init(query: String?, cookies: [String], host: String?, scheme: String, port: Int) {
        self.query = query
        self.cookies = cookies
        self.host = host
        self.scheme = scheme
        self.port = port
    }
}

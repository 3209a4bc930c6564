import PEPCore

/// Everything the development authorization server knows, as one value (DESIGN "state machines are values").
///
/// `DevAuthorizationServer` keeps it behind a `Mutex` and calls its `mutating` endpoint methods with the current
/// time; nothing in here reads a clock or does I/O (except loading the signing key file on first use).
struct DevAuthorizationServerState {
    /// A registered client and its oxd RP record (SPEC Part B §4.8, §4.9).
    struct Client {
        var clientId: String
        var clientSecret: String
        var oxdId: String
        var opHost: String
        var claimsRedirectURIs: [String]
        var redirectURIs: [String]
        var scopes: [String]
        var grantTypes: [String]
        var clientName: String
        var registrationAccessToken: String
        var issuedAt: Int64
        /// oxd `uma_protected_resources`, in registration order (searched newest first).
        var protectedResources: [ProtectedResource] = []
        /// The RPT last returned by oxd `/uma-rp-get-rpt` (shown by `/get-rp`, never reused).
        var lastRPT: String?
        var lastPCT: String?
        var lastRPTExpiresAt: Int64?
        var lastRPTUpgraded = false
    }

    /// One oxd-protected resource: a path and one condition's methods, bound to an AS resource (§4.3).
    struct ProtectedResource {
        var id: String
        var path: String
        var httpMethods: [String]
        var scopes: [String]
        var scopeExpression: JSONValue?
        var ticketScopes: [String]
        var iat: Int64
        var exp: Int64?
    }

    /// A resource registered at the AS (UMA FedAuthz §3; Gluu `scope_expression` extension).
    struct Resource {
        var id: String
        var ownerClientId: String
        var name: String
        var scopes: [String]
        var scopeExpression: JSONValue?
        /// The description as registered (returned by `GET /resource_set/{id}` with `_id` added).
        var description: [String: JSONValue]
        var iat: Int64
        /// Registration order, for stable listings.
        var sequence: Int
    }

    /// A requested permission inside a ticket (UMA FedAuthz §4.1).
    struct RequestedPermission: Equatable {
        var resourceId: String
        var scopes: [String]
    }

    /// A permission ticket: single use, with a lifetime; may carry claims gathered for it (§5.8).
    struct Ticket {
        var permissions: [RequestedPermission]
        var ownerClientId: String
        var expiresAt: Int64
        var claims: [String: String]
    }

    /// An access token that is not an RPT: an oxd client token or a PAT.
    struct AccessToken {
        var clientId: String
        var scopes: [String]
        var issuedAt: Int64
        var expiresAt: Int64
    }

    /// A refresh token bound to a client and the scopes of the access token it came with.
    struct RefreshToken {
        var clientId: String
        var scopes: [String]
    }

    /// A granted permission inside an RPT (UMA FedAuthz §5.1.1).
    struct GrantedPermission {
        var resourceId: String
        var scopes: [String]
        var expiresAt: Int64
    }

    /// A requesting party token.
    struct RPT {
        var clientId: String
        var permissions: [GrantedPermission]
        var issuedAt: Int64
        var expiresAt: Int64
        var jti: String
        /// Extra introspection members (`sub`, or anything `/_dev/tokens` was told to add).
        var extra: [String: JSONValue]
        /// Standard members left out of introspection (`/_dev/tokens` `omit_claims`, e.g. `exp`).
        var omitted: [String] = []
    }

    /// A persisted claims token (UMA 2.0 Grant §3.3.5).
    struct PCT {
        var clientId: String
        var claims: [String: String]
        var expiresAt: Int64
    }

    /// A fault injected with `POST /_dev/fault` for the next `remaining` calls of one endpoint.
    struct Fault {
        enum Kind: String {
            case status, garbage, hang, body
        }
        var kind: Kind
        var remaining: Int
        var status: Int
        var delayMilliseconds: Int
        /// The exact body of a `body` fault.
        var body: [UInt8] = []
    }

    /// One `/_dev/calls` entry.
    struct Call {
        var endpoint: String
        var method: String
        var at: Int64
        var status: Int
    }

    let configuration: DevAuthorizationServerConfiguration
    var clients: [String: Client] = [:]
    var clientIdByOxdId: [String: String] = [:]
    var accessTokens: [String: AccessToken] = [:]
    var refreshTokens: [String: RefreshToken] = [:]
    var rpts: [String: RPT] = [:]
    var pcts: [String: PCT] = [:]
    var tickets: [String: Ticket] = [:]
    /// Ticket ids in issue order, for the `maxTickets` bound; `ticketOrderHead` is the first live index.
    var ticketOrder: [String] = []
    var ticketOrderHead = 0
    var resources: [String: Resource] = [:]
    var faults: [String: Fault] = [:]
    var calls: [Call] = []
    var callCounts: [String: Int] = [:]
    var clockOffset: Int64 = 0
    var signingKey: RSASigningKey?
    var issuedSinceSweep = 0
    var resourceSequence = 0

    init(configuration: DevAuthorizationServerConfiguration) {
        self.configuration = configuration
        for client in configuration.clients {
            self.clients[client.clientId] = Client(
                clientId: client.clientId, clientSecret: client.clientSecret, oxdId: client.oxdId,
                opHost: configuration.issuer, claimsRedirectURIs: client.claimsRedirectURIs, redirectURIs: [],
                scopes: ["openid", "oxd", "uma_protection"],
                grantTypes: ["client_credentials", "urn:ietf:params:oauth:grant-type:uma-ticket"],
                clientName: client.clientId, registrationAccessToken: RandomToken.opaque(), issuedAt: 0)
            self.clientIdByOxdId[client.oxdId] = client.clientId
        }
    }

    var issuer: String { self.configuration.issuer }

    // MARK: - Tickets

    /// Registers a new ticket and enforces `maxTickets` (oldest dropped first).
    mutating func issueTicket(
        _ permissions: [RequestedPermission], owner: String, claims: [String: String] = [:], now: Int64
    ) -> String {
        self.sweepIfDue(now: now)
        let ticket = RandomToken.uuid()
        self.tickets[ticket] = Ticket(
            permissions: permissions, ownerClientId: owner,
            expiresAt: now + self.configuration.ticketLifetimeSeconds, claims: claims)
        self.ticketOrder.append(ticket)
        while self.tickets.count > max(1, self.configuration.maxTickets), self.ticketOrderHead < self.ticketOrder.count
        {
            self.tickets[self.ticketOrder[self.ticketOrderHead]] = nil
            self.ticketOrderHead += 1
        }
        if self.ticketOrder.count - self.ticketOrderHead > 2 * max(self.tickets.count, 1024) {
            // Spent and swept tickets leave ids behind; rebuild the order from the live ones (amortised O(1)).
            self.ticketOrder = self.ticketOrder[self.ticketOrderHead...].filter { self.tickets[$0] != nil }
            self.ticketOrderHead = 0
        } else if self.ticketOrderHead > 1024, self.ticketOrderHead * 2 > self.ticketOrder.count {
            self.ticketOrder.removeFirst(self.ticketOrderHead)
            self.ticketOrderHead = 0
        }
        return ticket
    }

    /// The result of looking a ticket up.
    enum TicketLookup {
        case live(Ticket)
        case unknown
        case expired
    }

    /// Looks a ticket up without consuming it; an expired ticket is removed.
    mutating func lookUpTicket(_ id: String, now: Int64) -> TicketLookup {
        guard let ticket = self.tickets[id] else { return .unknown }
        guard now < ticket.expiresAt else {
            self.tickets[id] = nil
            return .expired
        }
        return .live(ticket)
    }

    // MARK: - Tokens

    /// Issues an oxd client token or PAT (and a refresh token) for `clientId`.
    mutating func issueAccessToken(clientId: String, scopes: [String], now: Int64) -> (String, String, Int64) {
        self.sweepIfDue(now: now)
        let token = RandomToken.opaque()
        let refresh = RandomToken.opaque()
        let lifetime = self.configuration.accessTokenLifetimeSeconds
        self.accessTokens[token] = AccessToken(
            clientId: clientId, scopes: scopes, issuedAt: now, expiresAt: now + lifetime)
        self.refreshTokens[refresh] = RefreshToken(clientId: clientId, scopes: scopes)
        return (token, refresh, lifetime)
    }

    /// A live (unexpired) access token record.
    func liveAccessToken(_ token: String, now: Int64) -> AccessToken? {
        guard let record = self.accessTokens[token], now < record.expiresAt else { return nil }
        return record
    }

    /// A live RPT record.
    func liveRPT(_ token: String, now: Int64) -> RPT? {
        guard let record = self.rpts[token], now < record.expiresAt else { return nil }
        return record
    }

    /// Issues a PCT carrying `claims`.
    mutating func issuePCT(clientId: String, claims: [String: String], now: Int64) -> String {
        let pct = RandomToken.opaque()
        self.pcts[pct] = PCT(clientId: clientId, claims: claims, expiresAt: now + self.configuration.pctLifetimeSeconds)
        return pct
    }

    /// Mints an RPT (opaque, or an RS256 JWT when `rptAsJWT`); `nil` when signing fails.
    mutating func mintRPT(
        clientId: String, permissions: [RequestedPermission], lifetime: Int64, now: Int64,
        extra: [String: JSONValue] = [:], fixedToken: String? = nil, omitting omitted: [String] = []
    ) -> String? {
        self.sweepIfDue(now: now)
        let expiresAt = now + lifetime
        let record = RPT(
            clientId: clientId,
            permissions: permissions.map {
                GrantedPermission(resourceId: $0.resourceId, scopes: $0.scopes, expiresAt: expiresAt)
            },
            issuedAt: now, expiresAt: expiresAt, jti: RandomToken.uuid(), extra: extra, omitted: omitted)
        let token: String
        if let fixedToken {
            token = fixedToken
        } else if self.configuration.rptAsJWT {
            guard let key = self.key(now: now), let jwt = key.signJWT(self.jwtClaims(record)) else { return nil }
            token = jwt
        } else {
            token = RandomToken.opaque()
        }
        self.rpts[token] = record
        return token
    }

    /// The signing key, generated or loaded on first use; `nil` if that fails.
    mutating func key(now: Int64) -> RSASigningKey? {
        if let key = self.signingKey { return key }
        let key: RSASigningKey?
        if let path = self.configuration.signingKeyPEMPath {
            key = try? RSASigningKey.load(pemPath: path, now: now)
        } else {
            key = try? RSASigningKey.generate(now: now)
        }
        self.signingKey = key
        return key
    }

    /// The JWT claims of an RPT (also what introspection returns for it).
    func jwtClaims(_ rpt: RPT) -> JSONValue {
        var members = self.introspectionMembers(rpt)
        members["active"] = nil
        return .object(members)
    }

    /// RFC 7662 + UMA introspection members for a live RPT (UMA FedAuthz §5.1.1).
    func introspectionMembers(_ rpt: RPT) -> [String: JSONValue] {
        var members: [String: JSONValue] = [
            "active": .bool(true), "exp": .int(rpt.expiresAt), "iat": .int(rpt.issuedAt), "nbf": .int(rpt.issuedAt),
            "client_id": .string(rpt.clientId), "aud": .string(rpt.clientId), "iss": .string(self.issuer),
            "jti": .string(rpt.jti), "token_type": .string("Bearer"),
            "permissions": .array(
                rpt.permissions.map {
                    .object([
                        "resource_id": .string($0.resourceId), "resource_scopes": .array($0.scopes.map { .string($0) }),
                        "exp": .int($0.expiresAt),
                    ])
                }),
        ]
        for (key, value) in rpt.extra { members[key] = value }
        for key in rpt.omitted { members[key] = nil }
        return members
    }

    /// Drops expired tokens, PCTs and tickets every 1 000 issues of tokens or tickets (memory bound for long
    /// benchmark runs).
    mutating func sweepIfDue(now: Int64) {
        self.issuedSinceSweep += 1
        guard self.issuedSinceSweep >= 1000 else { return }
        self.issuedSinceSweep = 0
        self.accessTokens = self.accessTokens.filter { now < $0.value.expiresAt }
        self.rpts = self.rpts.filter { now < $0.value.expiresAt }
        self.pcts = self.pcts.filter { now < $0.value.expiresAt }
        self.tickets = self.tickets.filter { now < $0.value.expiresAt }
    }

    /// The next resource registration sequence number.
    mutating func nextSequence() -> Int {
        self.resourceSequence += 1
        return self.resourceSequence
    }

    // MARK: - Clients

    /// The client with `clientId` if `secret` matches (constant-time comparison).
    func authenticate(clientId: String, secret: String) -> Client? {
        guard let client = self.clients[clientId], Self.constantTimeEquals(client.clientSecret, secret) else {
            return nil
        }
        return client
    }

    /// The RP record for an oxd id.
    func client(oxdId: String) -> Client? {
        self.clientIdByOxdId[oxdId].flatMap { self.clients[$0] }
    }

    /// Compares two secrets without an early exit on the first differing byte.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
}

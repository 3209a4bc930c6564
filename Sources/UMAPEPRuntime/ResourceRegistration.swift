import Foundation
import Logging
import PEPCore
import Synchronization
import UMAClient

/// The authorization server's resource id for each (rule, condition) of one service's protection document:
/// filled by `ResourceRegistration` in uma2 mode (SPEC Part B §5.3), read per request by the driver.
final class ResourceIds: Sendable {
    private let ids: Mutex<[[String?]]>

    init(document: ProtectionDocument) {
        self.ids = Mutex(document.rules.map { [String?](repeating: nil, count: $0.conditions.count) })
    }

    func id(rule: Int, condition: Int) -> String? {
        self.ids.withLock { ids in
            guard rule < ids.count, condition < ids[rule].count else { return nil }
            return ids[rule][condition]
        }
    }

    func set(rule: Int, condition: Int, id: String) {
        self.ids.withLock { ids in
            guard rule < ids.count, condition < ids[rule].count else { return }
            ids[rule][condition] = id
        }
    }

    /// Takes every id `other` holds (same document shape: a reload that kept the document).
    func copy(from other: ResourceIds) {
        let ids = other.ids.withLock { $0 }
        self.ids.withLock { $0 = ids }
    }

    /// Forgets every id (the authorization server no longer knows them; they are registered again).
    func clear() {
        self.ids.withLock { ids in ids = ids.map { [String?](repeating: nil, count: $0.count) } }
    }
}

/// Registers the protection documents of every service of one authorization server, in the background, with
/// retries (1 s doubling to 30 s): oxd `/uma-rs-protect` with `overwrite: true` (Part B §4.3), or one UMA 2.0
/// resource per condition (§5.3, §5.11) whose ids feed the uma2 decisions. Until it succeeds, `/readyz`
/// reports `registering` and protected requests fail closed (502).
///
/// Self-healing: when the authorization server later answers as if it did not know the resources (an oxd or
/// authorization server restarted without its state: oxd `/uma-rs-check-access` 400 `invalid_request` "Resource
/// is not protected…" or `invalid_resource_id`; a UMA 2.0 permission endpoint 400 `invalid_resource_id`), the
/// backend calls `resourcesMissing(reason:)` and the documents are registered again: at once the first time,
/// then at most once per `healingInterval` (10 s), and never while a registration is running; only for a miss
/// on an explicitly listed method in oxd mode (see `OXDBackend.registeredMethods`). The request that noticed
/// gets 502 (fail closed); later ones pass once the registration is back.
final class ResourceRegistration: @unchecked Sendable {
    let server: AuthorizationServerConfiguration
    private let services: [ServiceConfiguration]
    private let oxd: OXDClient?
    private let uma2: UMA2Client?
    private let ids: [String: ResourceIds]
    private let attempts = Mutex(0)
    private let cancelled = Mutex(false)
    /// Where `start` reports, kept for the registrations `resourcesMissing` starts.
    private let reporting = Mutex<(readiness: Readiness, logger: Logger)?>(nil)
    /// A registration (with its retries) is running; when the last self-healing one started.
    private let progress = Mutex<(running: Bool, lastHealing: ContinuousClock.Instant?)>((false, nil))
    /// The least time between two self-healing registrations.
    static let healingInterval: Duration = .seconds(10)
    /// The last registration succeeded (and no loss was noticed since).
    private let registered = Mutex(false)
    /// Set by `adopt`: the previous generation registered exactly these documents; `start` skips registering.
    private let adopted = Mutex(false)
    /// Called when the resources are registered again because the server forgot them: grants cached for the
    /// old resources must go (the enforcement driver's decision and worker caches).
    private let onReplacing = Mutex<(@Sendable () -> Void)?>(nil)

    /// Sets what runs when a self-healing registration starts (see `onReplacing`).
    func setOnReplacing(_ action: @escaping @Sendable () -> Void) {
        self.onReplacing.withLock { $0 = action }
    }

    /// What a registration sends: the server's settings and each service's name and protection document.
    struct Fingerprint: Equatable {
        let server: AuthorizationServerConfiguration
        let documents: [String: JSONValue?]
        let rules: [String: ProtectionDocument]
    }

    var fingerprint: Fingerprint {
        Fingerprint(
            server: self.server,
            documents: Dictionary(uniqueKeysWithValues: self.services.map { ($0.name, $0.rawProtectionDocument) }),
            rules: Dictionary(uniqueKeysWithValues: self.services.map { ($0.name, $0.protectionDocument) }))
    }

    /// On a reload: when `previous` (the replaced generation's registration for the same server) registered
    /// exactly the same documents, takes its resource ids and skips registering again. Registering again
    /// would replace the resources (oxd `overwrite`; new UMA resource ids) and every outstanding RPT, whose
    /// permissions name the old ones, would be refused until clients fetch new RPTs.
    /// - Returns: whether the registration was adopted.
    @discardableResult
    func adopt(_ previous: ResourceRegistration) -> Bool {
        guard self.required, previous.fingerprint == self.fingerprint, previous.registered.withLock({ $0 }) else {
            return false
        }
        for (name, ids) in self.ids { previous.ids[name].map { ids.copy(from: $0) } }
        self.adopted.withLock { $0 = true }
        self.registered.withLock { $0 = true }
        return true
    }

    /// Stops retrying (the configuration generation was replaced).
    func cancel() {
        self.onReplacing.withLock { $0 = nil }
        self.cancelled.withLock { $0 = true }
    }

    init(
        server: AuthorizationServerConfiguration, services: [ServiceConfiguration], oxd: OXDClient?, uma2: UMA2Client?
    ) {
        self.server = server
        self.services = services
        self.oxd = oxd
        self.uma2 = uma2
        var ids: [String: ResourceIds] = [:]
        for service in services { ids[service.name] = ResourceIds(document: service.protectionDocument) }
        self.ids = ids
    }

    func resourceIds(for service: String) -> ResourceIds? { self.ids[service] }

    /// uma2 always registers (decisions need the ids); oxd only with `register_resources: true`.
    private var required: Bool { self.uma2 != nil || self.server.registerResources }

    func start(readiness: Readiness, logger: Logger) {
        let check = "authorization_server.\(self.server.name)"
        guard self.required else {
            readiness.set(check, ok: true, "resources not registered by uma-pep (register_resources: false)")
            return
        }
        self.reporting.withLock { $0 = (readiness, logger) }
        if self.adopted.withLock({ $0 }) {
            readiness.set(check, ok: true, "resources registered (unchanged by the reload)")
            return
        }
        self.progress.withLock { $0.running = true }
        readiness.set(check, ok: false, "registering")
        self.attempt(readiness: readiness, check: check, logger: logger)
    }

    /// The authorization server answered as if it did not know the registered resources (`reason`: the
    /// operation and error code). Registers them again unless a registration is running, the previous
    /// self-healing one started less than `healingInterval` ago, uma-pep does not register
    /// (`register_resources: false`) or `start` was not called. Returns whether a registration started. Any
    /// thread.
    @discardableResult
    func resourcesMissing(reason: String, now: ContinuousClock.Instant = .now) -> Bool {
        guard self.required, !self.cancelled.withLock({ $0 }), let reporting = self.reporting.withLock({ $0 })
        else { return false }
        let begin = self.progress.withLock { progress -> Bool in
            if progress.running { return false }
            if let last = progress.lastHealing, now - last < Self.healingInterval { return false }
            progress = (true, now)
            return true
        }
        guard begin else { return false }
        self.registered.withLock { $0 = false }
        reporting.logger.warning(
            "the authorization server does not know the registered resources; registering them again",
            metadata: ["authorization_server": "\(self.server.name)", "detail": "\(reason)"])
        if self.uma2 != nil { self.ids.values.forEach { $0.clear() } }
        self.onReplacing.withLock { $0 }?()
        self.attempt(
            readiness: reporting.readiness, check: "authorization_server.\(self.server.name)", logger: reporting.logger)
        return true
    }

    private func attempt(readiness: Readiness, check: String, logger: Logger) {
        guard !self.cancelled.withLock({ $0 }) else { return }
        let done: @Sendable (String?) -> Void = { failure in
            guard !self.cancelled.withLock({ $0 }) else { return }
            guard let failure else {
                self.registered.withLock { $0 = true }
                self.attempts.withLock { $0 = 0 }
                self.progress.withLock { $0.running = false }
                readiness.set(check, ok: true, "resources registered")
                logger.info("resources registered", metadata: ["authorization_server": "\(self.server.name)"])
                return
            }
            let n = self.attempts.withLock { n in
                n += 1
                return n
            }
            let delay = min(30.0, pow(2.0, Double(min(n - 1, 5))))
            readiness.set(check, ok: false, "registration failed (\(failure)); retrying")
            logger.warning(
                "resource registration failed; retrying",
                metadata: [
                    "authorization_server": "\(self.server.name)", "detail": "\(failure)", "retry_in_s": "\(delay)",
                ])
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                self.attempt(readiness: readiness, check: check, logger: logger)
            }
        }
        if let oxd = self.oxd {
            self.registerOXD(oxd, done: done)
        } else if let uma2 = self.uma2 {
            self.registerUMA2(uma2, done: done)
        }
    }

    /// One `/uma-rs-protect` for all services of this oxd registration (overwrite replaces the previous set).
    private func registerOXD(_ client: OXDClient, done: @escaping @Sendable (String?) -> Void) {
        var resources: [JSONValue] = []
        for service in self.services {
            guard case .array(let rules)? = service.rawProtectionDocument else { continue }
            resources.append(contentsOf: rules.map(Self.withoutPublicConditions).compactMap { $0 })
        }
        guard !resources.isEmpty else { return done(nil) }
        client.umaRSProtect(resources: .array(resources), overwrite: true) { result in
            switch result {
            case .success: done(nil)
            case .failure(let error): done(error.detail)
            }
        }
    }

    /// `"METHOD pattern"` for every explicit (not `"?"`) method of every protected condition of `services`.
    static func explicitMethods(of services: [ServiceConfiguration]) -> Set<String> {
        var methods: Set<String> = []
        for service in services {
            for rule in service.protectionDocument.rules {
                for condition in rule.conditions where !condition.isPublic {
                    for method in condition.httpMethods where method != "?" { methods.insert("\(method) \(rule.path)") }
                }
            }
        }
        return methods
    }

    /// Public conditions (SPEC A13) are uma-pep's own; they are not registered as resources.
    static func withoutPublicConditions(_ rule: JSONValue) -> JSONValue? {
        guard case .object(var members) = rule, case .array(let conditions)? = members["conditions"] else {
            return rule
        }
        let kept = conditions.filter { $0["public"]?.boolValue != true }
        guard !kept.isEmpty else { return nil }
        members["conditions"] = .array(
            kept.map { condition in
                guard case .object(var fields) = condition else { return condition }
                fields["public"] = nil
                return .object(fields)
            })
        return .object(members)
    }

    /// One UMA 2.0 resource per protected condition, named `<path> [METHODS]`.
    private func registerUMA2(_ client: UMA2Client, done: @escaping @Sendable (String?) -> Void) {
        var work: [(service: String, rule: Int, condition: Int, description: UMA2ResourceDescription)] = []
        for service in self.services {
            for (r, rule) in service.protectionDocument.rules.enumerated() {
                for (c, condition) in rule.conditions.enumerated()
                where !condition.isPublic && self.ids[service.name]?.id(rule: r, condition: c) == nil {
                    let name = "\(rule.path) [\(condition.httpMethods.joined(separator: ","))]"
                    work.append(
                        (service.name, r, c, UMA2ResourceDescription(name: name, scopes: condition.requiredScopes)))
                }
            }
        }
        let remaining = Mutex(work.count)
        let failed = Mutex<String?>(nil)
        guard !work.isEmpty else { return done(nil) }
        for item in work {
            client.registerResource(item.description) { result in
                switch result {
                case .success(let id):
                    self.ids[item.service]?.set(rule: item.rule, condition: item.condition, id: id)
                case .failure(let error):
                    failed.withLock { $0 = $0 ?? error.detail }
                }
                let left = remaining.withLock { n in
                    n -= 1
                    return n
                }
                if left == 0 { done(failed.withLock { $0 }) }
            }
        }
    }
}

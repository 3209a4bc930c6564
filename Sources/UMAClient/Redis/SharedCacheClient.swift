private import CHiredis
private import CLibevent
import Foundation
import Logging
import PEPCore

/// The answer to one shared-cache command.
public enum SharedCacheReply: Sendable, Equatable {
    /// `GET` found a string.
    case value([UInt8])
    /// `GET` found nothing (`nil` reply), or a write was accepted.
    case none
    /// No usable answer; the request goes on without Redis.
    case failed(SharedCacheFailure)
}

/// Why a shared-cache command had no usable answer (the `reason` label of `uma_pep_redis_errors_total`).
public enum SharedCacheFailure: String, Sendable, Equatable, CaseIterable {
    /// Redis is not connected (down, backing off, or still connecting): the command was not sent.
    case unavailable
    /// `cache.redis.max_pending` commands were already in flight: not sent.
    case overloaded
    /// No answer within `cache.redis.timeout`.
    case timeout
    /// The connection broke before the answer came.
    case connection
    /// Redis answered with an error or an unexpected reply type.
    case reply
}

/// The shell of the shared second-level cache on Redis: one hiredis asynchronous connection driven by the control
/// plane's libevent loop (hiredis/adapters/libevent.h), with a bounded per-command timeout, `AUTH` / `SELECT`,
/// and reconnection with backoff as ``SharedCacheHealth`` decides. Docs: docs/operations.md "Several instances:
/// the Redis cache".
///
/// Thread rules (why `@unchecked Sendable` is sound): `get`, `set`, `start` and `shutdown` may be called from
/// any thread; they hop to the control-plane thread with `ControlPlane.execute`. Everything else (the hiredis
/// context, the timer, `pending`, `health`) is touched only on the control-plane thread. Completions run on the
/// control-plane thread, exactly once each, within `cache.redis.timeout` of the call (plus the loop's latency).
///
/// Never logs a key, a value or the password.
public final class SharedCacheClient: @unchecked Sendable {
    let settings: RedisCacheSettings
    let controlPlane: ControlPlane
    let logger: Logger
    /// Told on the control-plane thread when Redis becomes usable (`true`) or stops being usable (`false`).
    let onStateChange: @Sendable (Bool) -> Void

    // Control-plane thread only.
    private var health: SharedCacheHealth
    private var context: UnsafeMutablePointer<redisAsyncContext>?
    /// Bumped for every connection: answers for an older one are ignored.
    private var generation: UInt64 = 0
    private var nextID: UInt64 = 1
    private var pending: [UInt64: Pending] = [:]
    /// Ids in send order (deadlines are in the same order: one timeout for all).
    private var order: [UInt64] = []
    private var orderHead = 0
    private var timer: OpaquePointer?
    private var stopped = false
    /// What `onStateChange` was last told.
    private var wasUp = false

    private struct Pending {
        let generation: UInt64
        let deadline: Int64
        /// `nil` for a handshake command (`AUTH`, `SELECT`, `PING`); `isLast` marks the one ending it.
        let completion: (@Sendable (SharedCacheReply) -> Void)?
        let isLastHandshake: Bool
    }

    /// Creates a stopped client.
    /// - Parameters:
    ///   - settings: `cache.redis`.
    ///   - controlPlane: the loop to run on (must be started before ``start()``).
    ///   - logger: connection state changes (warning when lost, info when back).
    ///   - onStateChange: told when Redis becomes usable or stops being usable.
    public init(
        settings: RedisCacheSettings, controlPlane: ControlPlane,
        logger: Logger = Logger(label: "uma-pep.redis"), onStateChange: @escaping @Sendable (Bool) -> Void = { _ in }
    ) {
        self.settings = settings
        self.controlPlane = controlPlane
        self.logger = logger
        self.onStateChange = onStateChange
        self.health = SharedCacheHealth(maxBackoff: settings.maxBackoff, connectTimeout: settings.connectTimeout)
    }

    /// Starts connecting (asynchronously; requests skip Redis until it is ready).
    public func start() {
        self.controlPlane.execute { [self] in
            guard !self.stopped, self.controlPlane.isOnControlPlaneThread else { return }
            self.tick()
        }
    }

    /// Closes the connection; later commands fail with `.unavailable`. Waits (at most 2 s) unless called on the
    /// control-plane thread.
    public func shutdown() {
        let done = DispatchSemaphore(value: 0)
        self.controlPlane.execute { [self] in
            self.stopped = true
            self.dropConnection(reason: nil)
            if let timer = self.timer {
                event_free(timer)
                self.timer = nil
            }
            done.signal()
        }
        if !self.controlPlane.isOnControlPlaneThread { _ = done.wait(timeout: .now() + 2) }
    }

    /// `GET key`.
    /// - Parameter completion: `.value`, `.none` (no entry) or `.failed`; on the control-plane thread.
    public func get(_ key: String, completion: @escaping @Sendable (SharedCacheReply) -> Void) {
        self.controlPlane.execute { [self] in
            guard self.controlPlane.isOnControlPlaneThread else { return completion(.failed(.unavailable)) }
            self.send(["GET", key].map { Array($0.utf8) }, completion: completion)
        }
    }

    /// `SET key value PX milliseconds` (https://redis.io/commands/set/): the entry's own lifetime is its Redis TTL.
    /// - Parameter completion: `.none` when stored, or `.failed`; on the control-plane thread.
    public func set(
        _ key: String, value: [UInt8], milliseconds: Int64,
        completion: @escaping @Sendable (SharedCacheReply) -> Void = { _ in }
    ) {
        self.controlPlane.execute { [self] in
            guard self.controlPlane.isOnControlPlaneThread else { return completion(.failed(.unavailable)) }
            self.send(
                [Array("SET".utf8), Array(key.utf8), value, Array("PX".utf8), Array(String(milliseconds).utf8)],
                completion: completion)
        }
    }

    // MARK: Control-plane thread

    /// Monotonic nanoseconds (`CLOCK_MONOTONIC`).
    private static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    private func send(_ arguments: [[UInt8]], completion: @escaping @Sendable (SharedCacheReply) -> Void) {
        guard !self.stopped, self.health.acceptsCommands, let context = self.context else {
            return completion(.failed(.unavailable))
        }
        guard self.pending.count < self.settings.maxPending else { return completion(.failed(.overloaded)) }
        let deadline = Self.now() + CacheInstant.saturatingNanoseconds(self.settings.timeout)
        guard self.issue(arguments, on: context, completion: completion, deadline: deadline, lastHandshake: false)
        else { return completion(.failed(.connection)) }
        self.armTimer()
    }

    /// Sends one command; `false` when hiredis refused it (the connection is closing).
    private func issue(
        _ arguments: [[UInt8]], on context: UnsafeMutablePointer<redisAsyncContext>,
        completion: (@Sendable (SharedCacheReply) -> Void)?, deadline: Int64, lastHandshake: Bool
    ) -> Bool {
        let id = self.nextID
        self.nextID &+= 1
        let pointers = arguments.map { argument -> UnsafeMutablePointer<CChar> in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(argument.count, 1))
            argument.withUnsafeBytes { bytes in
                if bytes.count > 0 {
                    UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                }
            }
            return buffer
        }
        defer { for pointer in pointers { pointer.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = pointers.map { UnsafePointer($0) }
        var lengths: [Int] = arguments.map(\.count)
        let status = redisAsyncCommandArgv(
            context, sharedCacheReplyThunk, UnsafeMutableRawPointer(bitPattern: UInt(id)), Int32(arguments.count),
            &argv, &lengths)
        guard status == CHiredis_REDIS_OK() else { return false }
        self.pending[id] = Pending(
            generation: self.generation, deadline: deadline, completion: completion, isLastHandshake: lastHandshake)
        self.order.append(id)
        return true
    }

    /// The retry / connect-timeout / command-deadline timer fired, or startup.
    func tick() {
        guard !self.stopped else { return }
        self.expireCommands()
        switch self.health.tick(now: Self.now()) {
        case .connect:
            self.connect()
        case .disconnect(let pause):
            // Only an attempt older than connect_timeout disconnects on a tick.
            self.logger.warning("Redis connection timed out; retrying in \(Self.format(pause))")
            self.dropConnection(reason: .connection)
        case .retry, .none:
            break
        }
        self.armTimer()
    }

    private func connect() {
        self.generation &+= 1
        if Self.isAddressLiteral(self.settings.host) { return self.connect(address: self.settings.host) }
        // hiredis resolves names with a blocking getaddrinfo: done on another thread, the loop never waits for DNS
        // (a lookup slower than cache.redis.connect_timeout counts as a failed attempt).
        let generation = self.generation
        let host = self.settings.host
        DispatchQueue.global().async { [self] in
            let address = Self.resolve(host)
            self.controlPlane.execute { [self] in
                guard self.controlPlane.isOnControlPlaneThread, !self.stopped, self.generation == generation,
                    case .connecting = self.health.state
                else { return }
                guard let address else { return self.connectionFailed("cannot resolve the host name") }
                self.connect(address: address)
            }
        }
    }

    private static func isAddressLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// The first address `host` resolves to (blocking; never on the control-plane thread).
    private static func resolve(_ host: String) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = first.pointee.ai_family
        let ok: Bool
        if family == AF_INET {
            ok = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                var raw = address.pointee.sin_addr
                return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)) != nil
            }
        } else if family == AF_INET6 {
            ok = first.pointee.ai_addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                var raw = address.pointee.sin6_addr
                return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)) != nil
            }
        } else {
            ok = false
        }
        guard ok else { return nil }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private func connect(address: String) {
        guard let base = self.controlPlane.base else { return }
        guard let context = redisAsyncConnect(address, Int32(self.settings.port)) else {
            return self.connectionFailed("out of memory")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisAsyncFree(context)
            return self.connectionFailed(message)
        }
        // A reply nothing asked for ends the connection instead of aborting the process (hiredis 0.14 asserts).
        CHiredis_guardReplies(context)
        context.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        guard CHiredis_attach(context, UnsafeMutableRawPointer(base)) == CHiredis_REDIS_OK() else {
            redisAsyncFree(context)
            return self.connectionFailed("libevent attach failed")
        }
        redisAsyncSetConnectCallback(context, sharedCacheConnectThunk)
        redisAsyncSetDisconnectCallback(context, sharedCacheDisconnectThunk)
        self.context = context
        // The handshake is pipelined behind the connect: AUTH, SELECT, or a PING to know the server answers.
        var handshake: [[String]] = []
        if let password = self.settings.password?.value {
            handshake.append(["AUTH"] + (self.settings.username.map { [$0] } ?? []) + [password])
        }
        if self.settings.database != 0 { handshake.append(["SELECT", String(self.settings.database)]) }
        if handshake.isEmpty { handshake.append(["PING"]) }
        let deadline = Self.now() + CacheInstant.saturatingNanoseconds(self.settings.connectTimeout)
        for (index, command) in handshake.enumerated() {
            guard
                self.issue(
                    command.map { Array($0.utf8) }, on: context, completion: nil, deadline: deadline,
                    lastHandshake: index == handshake.count - 1)
            else { return self.dropConnection(reason: .connection) }
        }
    }

    private func connectionFailed(_ message: String) {
        let action = self.health.connectionLost(now: Self.now())
        if case .retry(let pause) = action {
            self.logger.warning(
                "Redis \(self.settings) unreachable (\(message)); requests go to the authorization server; retrying in \(Self.format(pause))"
            )
        }
        self.armTimer()
    }

    /// Frees the connection (deferred when inside a hiredis callback) and fails its commands with `reason`.
    private func dropConnection(reason: SharedCacheFailure?) {
        if let context = self.context {
            self.context = nil
            context.pointee.data = nil
            // Freed on the next loop turn: this may run inside one of its callbacks.
            let address = UInt(bitPattern: context)
            self.controlPlane.execute {
                if let context = UnsafeMutablePointer<redisAsyncContext>(bitPattern: address) {
                    redisAsyncFree(context)
                }
            }
        }
        self.generation &+= 1
        self.failAll(reason ?? .connection)
        self.updateUp()
    }

    private func failAll(_ reason: SharedCacheFailure) {
        let pending = self.pending
        self.pending.removeAll()
        self.order.removeAll()
        self.orderHead = 0
        for id in pending.keys.sorted() { pending[id]?.completion?(.failed(reason)) }
    }

    /// Fails every command past its deadline with `.timeout`. Answers already received are read first: a busy
    /// loop may run this timer before the socket's read event, and an answer that arrived in time is no timeout.
    private func expireCommands() {
        if self.health.acceptsCommands, let context = self.context, self.orderHead < self.order.count {
            redisAsyncHandleRead(context)
        }
        let now = Self.now()
        while self.orderHead < self.order.count {
            let id = self.order[self.orderHead]
            guard let entry = self.pending[id] else {
                self.orderHead += 1
                continue
            }
            guard entry.deadline <= now else { break }
            self.orderHead += 1
            self.pending[id] = nil
            if let completion = entry.completion {
                completion(.failed(.timeout))
                if case .disconnect = self.health.commandTimedOut(now: now) {
                    self.logger.warning(
                        "Redis too slow (\(SharedCacheHealth.timeoutsToDisconnect) commands without an answer within \(Self.format(self.settings.timeout))); reconnecting"
                    )
                    self.dropConnection(reason: .timeout)
                    return
                }
            }
        }
        if self.orderHead > 1024, self.orderHead * 2 > self.order.count {
            self.order.removeFirst(self.orderHead)
            self.orderHead = 0
        }
    }

    /// Arms the timer for the earliest of: the next command deadline, the retry time, the connect deadline.
    private func armTimer() {
        guard !self.stopped, let base = self.controlPlane.base else { return }
        var next = Int64.max
        var index = self.orderHead
        while index < self.order.count {
            if let entry = self.pending[self.order[index]] {
                next = entry.deadline
                break
            }
            index += 1
        }
        if let tick = self.health.nextTick { next = min(next, tick) }
        guard next != Int64.max else { return }
        if self.timer == nil {
            self.timer = event_new(base, -1, 0, sharedCacheTimerThunk, Unmanaged.passUnretained(self).toOpaque())
        }
        guard let timer = self.timer else { return }
        let wait = max(0, next - Self.now())
        var interval = timeval(tv_sec: Int(wait / 1_000_000_000), tv_usec: Int((wait % 1_000_000_000) / 1000) + 1)
        event_add(timer, &interval)
    }

    private func updateUp() {
        let up = self.health.acceptsCommands
        guard up != self.wasUp else { return }
        self.wasUp = up
        self.onStateChange(up)
    }

    // MARK: hiredis callbacks (control-plane thread)

    fileprivate func connectFinished(_ context: UnsafePointer<redisAsyncContext>, status: Int32) {
        guard UnsafePointer(self.context) == context else { return }
        guard status == CHiredis_REDIS_OK() else {
            let message = Self.errorText(UnsafeMutablePointer(mutating: context))
            self.contextFreedByHiredis()
            self.connectionFailed(message)
            return
        }
    }

    /// Forgets the context hiredis frees after its connect or disconnect callback (its commands' callbacks already
    /// ran with no reply, or never will) and fails whatever is still pending.
    private func contextFreedByHiredis() {
        self.context = nil
        self.generation &+= 1
        self.failAll(.connection)
    }

    fileprivate func disconnected(_ context: UnsafePointer<redisAsyncContext>, status: Int32) {
        guard UnsafePointer(self.context) == context else { return }
        self.contextFreedByHiredis()
        let action = self.health.connectionLost(now: Self.now())
        if case .retry(let pause) = action {
            self.logger.warning(
                "Redis connection lost; requests go to the authorization server; retrying in \(Self.format(pause))")
        }
        self.updateUp()
        self.armTimer()
    }

    fileprivate func replied(_ reply: UnsafeMutablePointer<redisReply>?, id: UInt64) {
        guard let entry = self.pending.removeValue(forKey: id) else { return }
        guard entry.generation == self.generation else { return }
        guard let completion = entry.completion else {
            return self.handshakeReplied(reply, last: entry.isLastHandshake)
        }
        guard let reply else { return completion(.failed(.connection)) }
        self.health.commandAnswered()
        let type = reply.pointee.type
        if type == CHiredis_REPLY_STRING() {
            let bytes = [UInt8](UnsafeRawBufferPointer(start: reply.pointee.str, count: reply.pointee.len))
            completion(.value(bytes))
        } else if type == CHiredis_REPLY_NIL() || type == CHiredis_REPLY_STATUS() {
            completion(.none)
        } else {
            completion(.failed(.reply))
        }
    }

    private func handshakeReplied(_ reply: UnsafeMutablePointer<redisReply>?, last: Bool) {
        guard let reply else { return }
        if reply.pointee.type == CHiredis_REPLY_ERROR() {
            // The server's message names the problem (WRONGPASS, NOAUTH, ERR DB index…), never the password.
            let message = String(
                decoding: UnsafeRawBufferPointer(start: reply.pointee.str, count: reply.pointee.len), as: UTF8.self)
            let action = self.health.handshakeRefused(now: Self.now())
            if case .disconnect(let pause) = action {
                self.logger.error(
                    "Redis \(self.settings) refused the handshake (\(message.prefix(200))); check cache.redis.url; retrying in \(Self.format(pause))"
                )
            }
            self.dropConnection(reason: .connection)
            self.armTimer()
            return
        }
        guard last else { return }
        let recovered = self.health.consecutiveFailures > 0
        self.health.connected()
        if recovered { self.logger.notice("Redis \(self.settings) reachable again") }
        self.updateUp()
        self.armTimer()
    }

    fileprivate static func errorText(_ context: UnsafeMutablePointer<redisAsyncContext>) -> String {
        // hiredis 0.14's async context holds a `char *errstr` (into its redisContext), not an array.
        String(cString: CHiredis_errorText(context))
    }

    static func format(_ duration: Duration) -> String {
        ConfigDuration.format(duration)
    }
}

private func sharedCacheClient(_ context: UnsafePointer<redisAsyncContext>?) -> SharedCacheClient? {
    guard let data = context?.pointee.data else { return nil }
    return Unmanaged<SharedCacheClient>.fromOpaque(data).takeUnretainedValue()
}

private func sharedCacheReplyThunk(
    _ context: UnsafeMutablePointer<redisAsyncContext>?, _ reply: UnsafeMutableRawPointer?,
    _ privdata: UnsafeMutableRawPointer?
) {
    guard let client = sharedCacheClient(context), let privdata else { return }
    client.replied(reply?.assumingMemoryBound(to: redisReply.self), id: UInt64(UInt(bitPattern: privdata)))
}

private func sharedCacheConnectThunk(_ context: UnsafePointer<redisAsyncContext>?, _ status: Int32) {
    guard let context, let client = sharedCacheClient(context) else { return }
    client.connectFinished(context, status: status)
}

private func sharedCacheDisconnectThunk(_ context: UnsafePointer<redisAsyncContext>?, _ status: Int32) {
    guard let context, let client = sharedCacheClient(context) else { return }
    client.disconnected(context, status: status)
}

private func sharedCacheTimerThunk(_ fd: Int32, _ what: Int16, _ argument: UnsafeMutableRawPointer?) {
    guard let argument else { return }
    Unmanaged<SharedCacheClient>.fromOpaque(argument).takeUnretainedValue().tick()
}

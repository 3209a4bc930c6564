import Foundation
import Logging
import PEPCore
import Synchronization

/// The data plane's entry point: N workers (each an event loop on its own thread with its own `SO_REUSEPORT`
/// listeners and upstream pools) serving a set of listeners (DESIGN.md "Threads and state").
///
/// Lifecycle: `init` → `start()` (binds; throws on a bad address) → `shutdown(graceful:)` or
/// `waitUntilStopped()`.
public final class HTTPServer: @unchecked Sendable {
    /// One listening address and what it serves.
    public struct ListenerSpec: Sendable {
        /// Address to bind; port 0 picks a free port (reported by `start()`).
        public var address: SocketAddress
        /// Local responder or proxy.
        public var role: ServerRole
        /// A name for logs (`proxy`, `admin`, `dev-as`, `upstream`).
        public var name: String
        /// TLS certificates for this listener (`https`, `X-Forwarded-Proto: https`); `nil` = plain HTTP.
        public var tls: TLSServerContext?

        /// Creates a listener spec.
        public init(address: SocketAddress, role: ServerRole, name: String, tls: TLSServerContext? = nil) {
            self.address = address
            self.role = role
            self.name = name
            self.tls = tls
        }
    }

    private let specs: [ListenerSpec]
    /// One slot per spec with TLS (shared by the workers' copies of that listener), `nil` for plain ones.
    private let tlsSlots: [TLSContextSlot?]
    private let workerCount: Int
    private let limits: ServerLimits
    private let logger: Logger
    private let accessLog: AccessLogSink?
    private var workers: [Worker] = []
    /// Open connections on the proxy listeners, across workers.
    public let proxyConnections: ConnectionTally
    /// Called (on a worker thread) each time a request waits for a later turn (`TurnAdmission`).
    private let onRequestWaited: (@Sendable () -> Void)?
    private var threads: [Thread] = []
    private let stopped = Mutex<Int>(0)
    private let stoppedCondition = NSCondition()

    /// Creates a server (nothing is bound yet).
    ///
    /// - Parameters:
    ///   - workers: worker threads, ≥ 1 (config `workers`; default = cores).
    ///   - accessLog: where each proxied request's `access` line goes (Kong's log phase); `nil`: not logged.
    ///   - proxyConnections: counts the open connections of proxy listeners (and reports each change).
    ///   - onRequestWaited: called on a worker thread each time a request without a cached grant waits for a
    ///     later event-loop turn (`limits.uncachedRequestsPerTurn`); must be thread-safe.
    public init(
        listeners: [ListenerSpec], workers: Int, limits: ServerLimits, logger: Logger, accessLog: AccessLogSink? = nil,
        proxyConnections: ConnectionTally = ConnectionTally(), onRequestWaited: (@Sendable () -> Void)? = nil
    ) {
        self.proxyConnections = proxyConnections
        self.onRequestWaited = onRequestWaited
        self.accessLog = accessLog
        self.specs = listeners
        self.tlsSlots = listeners.map { spec in spec.tls.map { TLSContextSlot($0) } }
        self.workerCount = max(1, workers)
        self.limits = limits
        self.logger = logger
    }

    /// Binds every listener on every worker and starts the worker threads.
    ///
    /// - Returns: the bound address of each listener spec, in order (real ports when 0 was asked for).
    /// - Throws: `SocketAddressError.bindFailed` naming the address, or `EventLoopError`.
    @discardableResult
    public func start() throws -> [SocketAddress] {
        var bound: [SocketAddress] = []
        let peerCounter =
            self.limits.maxConnectionsPerIP > 0
            ? PeerConnectionCounter(limit: self.limits.maxConnectionsPerIP) : nil
        // A listener that cannot be bound leaves nothing behind: no worker that would never run (and that
        // `shutdown()` would wait for), no socket.
        do {
            try self.makeWorkers(peerCounter: peerCounter, bound: &bound)
        } catch {
            for worker in self.workers { worker.closeListeners() }
            self.workers.removeAll()
            throw error
        }
        for worker in self.workers {
            worker.setOnStopped { [weak self] in self?.workerStopped() }
            let thread = Thread { [worker] in
                ThreadName.setCurrent("uma-pep-wrk-\(worker.index)")
                worker.loop.run()
                worker.notifyStopped()
            }
            thread.name = "uma-pep-wrk-\(worker.index)"
            thread.stackSize = 4 << 20
            thread.start()
            self.threads.append(thread)
        }
        return bound
    }

    private func makeWorkers(peerCounter: PeerConnectionCounter?, bound: inout [SocketAddress]) throws {
        for index in 0..<self.workerCount {
            var logger = self.logger
            logger[metadataKey: "worker"] = "\(index)"
            let worker = try Worker(
                index: index, limits: self.limits, logger: logger, peerCounter: peerCounter,
                tally: self.proxyConnections, onRequestWaited: self.onRequestWaited)
            worker.accessLog = self.accessLog.map { AccessLogBuffer(sink: $0, worker: index, loop: worker.loop) }
            do {
                for (specIndex, spec) in self.specs.enumerated() {
                    // Worker 0 resolves port 0; the others share the port it got (SO_REUSEPORT).
                    let address = index == 0 ? spec.address : bound[specIndex]
                    let slot = self.tlsSlots[specIndex]
                    let context = ListenerContext(
                        address: address, role: spec.role, scheme: slot == nil ? "http" : "https", tls: slot)
                    let actual = try worker.listen(context)
                    if index == 0 { bound.append(actual) }
                }
            } catch {
                worker.closeListeners()
                throw error
            }
            self.workers.append(worker)
        }
    }

    private func workerStopped() {
        self.stoppedCondition.lock()
        self.stopped.withLock { $0 += 1 }
        self.stoppedCondition.broadcast()
        self.stoppedCondition.unlock()
    }

    /// Stops the server. Graceful: stop accepting, let in-flight requests finish within `drainTimeout`.
    /// Returns once every worker has stopped.
    public func shutdown(graceful: Bool = true) {
        for worker in self.workers {
            if graceful { worker.beginDrain() } else { worker.stop() }
        }
        self.waitUntilStopped()
    }

    /// Blocks until every worker has stopped.
    public func waitUntilStopped() {
        self.stoppedCondition.lock()
        while self.stopped.withLock({ $0 }) < self.workers.count {
            self.stoppedCondition.wait()
        }
        self.stoppedCondition.unlock()
    }

    /// Reloads every TLS listener's certificates and keys from their files (SIGHUP). All new contexts are
    /// built first; only when every one loaded are they swapped in, for new connections only — open
    /// connections keep the certificates they started with, nothing is dropped.
    ///
    /// - Returns: the number of TLS listeners reloaded.
    /// - Throws: the first `TLSError` (naming the file); then nothing was changed.
    @discardableResult
    public func reloadTLS() throws(TLSError) -> Int {
        var replacements: [(TLSContextSlot, TLSServerContext)] = []
        for slot in self.tlsSlots {
            guard let slot else { continue }
            replacements.append((slot, try TLSServerContext(configuration: slot.current.configuration)))
        }
        for (slot, context) in replacements { slot.replace(with: context) }
        return replacements.count
    }

    /// The TLS context new connections of listener `index` (spec order) get; `nil` for plain listeners (tests).
    public func currentTLSContext(listener index: Int) -> TLSServerContext? {
        guard self.tlsSlots.indices.contains(index) else { return nil }
        return self.tlsSlots[index]?.current
    }

    /// Swaps the proxy engine of every `.proxy` listener (config reload). In-flight requests keep the engine
    /// they started with.
    public func replaceProxyEngine(_ engine: ProxyEngine) {
        for worker in self.workers {
            worker.loop.execute { [worker] in worker.replaceProxyEngine(engine) }
        }
    }
}

import Foundation
import PEPCore
import Synchronization

/// `readiness.require_authorization_server`: checks every `interval` that each authorization server accepts TCP
/// connections (its `oxd_url` in oxd mode, its `op_url` in uma2 mode) and keeps one readiness check per server,
/// `authorization_server.<name>.reachable`, so `GET /readyz` answers 503 while one is unreachable. A TCP connect
/// is what every authorization call needs first; it sends nothing, so it costs the server nothing.
///
/// Runs on its own dispatch timer, never on a worker. Cancelled on reload (the new configuration's probe
/// replaces it, starting from the old one's results for the servers whose address did not change) and at
/// shutdown.
final class AuthorizationServerProbe: @unchecked Sendable {
    struct Target: Sendable {
        let name: String
        let host: String
        let port: Int
        let timeoutMilliseconds: Int32

        /// `host:port`.
        var address: String { "\(self.host):\(self.port)" }
    }

    /// One probe's outcome: what the readiness check says.
    struct Result: Sendable, Equatable {
        let ok: Bool
        let text: String
    }

    private let targets: [Target]
    private let readiness: Readiness
    private let interval: Duration
    /// Guarded by `lock`: once set, no result is written any more.
    private var cancelled = false
    /// Guarded by `lock`.
    private var timer: DispatchSourceTimer?
    /// Guarded by `lock`: the last result per server name, with the address it was for.
    private var results: [String: (address: String, result: Result)] = [:]
    private let lock = NSLock()

    /// A probe of `servers`' addresses, not started. Each server's readiness check starts as `previous`'s last
    /// result for the same name and address (a reload that leaves a server as it was does not turn `/readyz` to
    /// 503 until the first probe), else as not ready, "not probed yet".
    init(
        servers: [AuthorizationServerConfiguration], readiness: Readiness, interval: Duration = .seconds(2),
        previous: AuthorizationServerProbe? = nil
    ) {
        self.targets = servers.compactMap { server in
            guard let url = URL(string: server.mode == .oxd ? (server.oxdURL ?? server.opURL) : server.opURL),
                let host = url.host
            else { return nil }
            let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
            let timeout = min(max(CacheInstant.saturatingNanoseconds(server.connectTimeout) / 1_000_000, 100), 2000)
            return Target(name: server.name, host: host, port: port, timeoutMilliseconds: Int32(timeout))
        }
        self.readiness = readiness
        self.interval = interval
        let carried = previous.map { old in old.lock.withLock { old.results } } ?? [:]
        for target in self.targets {
            if let last = carried[target.name], last.address == target.address {
                self.results[target.name] = last
                readiness.set(Self.checkName(target.name), ok: last.result.ok, last.result.text)
            } else {
                readiness.set(Self.checkName(target.name), ok: false, "not probed yet")
            }
        }
    }

    /// The readiness check of server `name`.
    static func checkName(_ name: String) -> String { "authorization_server.\(name).reachable" }

    /// Probes at once, then every `interval`.
    func start() {
        let source = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        let nanoseconds = Int(CacheInstant.saturatingNanoseconds(self.interval))
        source.schedule(deadline: .now(), repeating: .nanoseconds(nanoseconds))
        source.setEventHandler { [weak self] in self?.probeAll() }
        self.lock.withLock { self.timer = source }
        source.resume()
    }

    /// Stops probing; later results are dropped.
    func cancel() {
        self.lock.withLock {
            self.cancelled = true
            self.timer?.cancel()
            self.timer = nil
        }
    }

    /// Probes every server once, one after the other, and sets their readiness checks.
    func probeAll() {
        for target in self.targets {
            let failure = Self.connect(host: target.host, port: target.port, timeout: target.timeoutMilliseconds)
            let result =
                failure.map { Result(ok: false, text: "unreachable (\(target.address): \($0))") }
                ?? Result(ok: true, text: "reachable (\(target.address))")
            // Under the lock: a result that arrives after `cancel()` (a reload replaced this probe) is dropped.
            let stillRunning = self.lock.withLock { () -> Bool in
                guard !self.cancelled else { return false }
                self.results[target.name] = (target.address, result)
                self.readiness.set(Self.checkName(target.name), ok: result.ok, result.text)
                return true
            }
            guard stillRunning else { return }
        }
    }

    /// Opens and closes a TCP connection to `host:port`.
    /// - Returns: `nil` on success, else why it failed (`connection refused`, `timed out`, `cannot resolve`).
    static func connect(host: String, port: Int, timeout: Int32) -> String? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        guard getaddrinfo(bare, String(port), &hints, &result) == 0, let first = result else {
            return "cannot resolve the host"
        }
        defer { freeaddrinfo(result) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&descriptor, 1, timeout) == 1 else { return "connect timed out" }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error == 0 ? nil : String(cString: strerror(error))
    }
}

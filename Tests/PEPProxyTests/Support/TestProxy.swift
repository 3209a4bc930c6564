import Foundation
import Logging
import PEPCore

@testable import PEPProxy

/// What the recording upstream saw.
final class UpstreamRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _requests: [HTTPRequestMessage] = []

    func record(_ request: HTTPRequestMessage) {
        self.lock.lock()
        self._requests.append(request)
        self.lock.unlock()
    }

    var requests: [HTTPRequestMessage] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self._requests
    }
}

/// An in-process upstream (local responder) and a proxy in front of it, on loopback port 0.
final class TestProxy: @unchecked Sendable {
    let recorder = UpstreamRecorder()
    let upstreamServer: HTTPServer
    let proxyServer: HTTPServer
    let upstreamPort: Int
    let proxyPort: Int
    let engine: ProxyEngine

    init(
        limits: ServerLimits = ServerLimits(), workers: Int = 1,
        authorizer: any RequestAuthorizer = AllowAllAuthorizer(),
        options: ProxyOptions = ProxyOptions(), upstreamPort fixedPort: Int? = nil, preserveHost: Bool = false,
        observer: (any ProxyObserver)? = nil,
        upstream: @escaping @Sendable (HTTPRequestMessage) -> HTTPResponseMessage = TestProxy.echo
    ) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let recorder = self.recorder
        let responder = SyncResponder { request in
            recorder.record(request)
            return upstream(request)
        }
        self.upstreamServer = HTTPServer(
            listeners: [
                .init(address: try SocketAddress(parsing: "127.0.0.1:0"), role: .local(responder), name: "upstream")
            ],
            workers: 1, limits: ServerLimits(), logger: logger)
        self.upstreamPort = try fixedPort ?? self.upstreamServer.start()[0].port
        let upstreamAddress = try SocketAddress(host: "127.0.0.1", port: self.upstreamPort)
        let service = ProxyService(
            name: "api", upstream: UpstreamTarget(address: upstreamAddress, hostHeader: "backend.internal"),
            preserveHost: preserveHost)
        let routes = try RouteTable<Int>([(patterns: [try HostPattern(parsing: "api.test")], value: 0)])
        let engine = ProxyEngine(
            services: [service], routes: routes, options: options, authorizer: authorizer, observer: observer)
        self.engine = engine
        self.proxyServer = HTTPServer(
            listeners: [.init(address: try SocketAddress(parsing: "127.0.0.1:0"), role: .proxy(engine), name: "proxy")],
            workers: workers, limits: limits, logger: logger)
        self.proxyPort = try self.proxyServer.start()[0].port
    }

    func stop() {
        self.proxyServer.shutdown(graceful: false)
        self.upstreamServer.shutdown(graceful: false)
    }

    /// The proxy in front of a scripted raw upstream.
    convenience init(
        scripted: ScriptedUpstream, limits: ServerLimits = ServerLimits(), observer: (any ProxyObserver)? = nil
    ) throws {
        try self.init(limits: limits, upstreamPort: scripted.port, observer: observer)
    }

    func client() throws -> RawClient { try RawClient(port: self.proxyPort) }

    /// Echoes the request as JSON-ish text: method, path, query, headers and body length.
    static let echo: @Sendable (HTTPRequestMessage) -> HTTPResponseMessage = { request in
        var text = "\(request.method) \(request.path)"
        if let q = request.query { text += "?\(q)" }
        text += "\n"
        for (name, value) in request.headers { text += "\(name): \(value)\n" }
        text += "body=\(request.body.count)\n"
        return HTTPResponseMessage(status: 200, headers: [("Content-Type", "text/plain")], body: Array(text.utf8))
    }
}

/// Keeps every finished exchange's record (the log phase), for assertions on outcomes.
final class RecordingObserver: ProxyObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var _records: [ExchangeRecord] = []

    func exchangeCompleted(_ record: ExchangeRecord) {
        self.lock.lock()
        self._records.append(record)
        self.lock.unlock()
    }

    var records: [ExchangeRecord] {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self._records
    }

    /// Waits (bounded) until `count` records arrived.
    func wait(for count: Int, timeout: Double = 5) -> [ExchangeRecord] {
        let deadline = Date().addingTimeInterval(timeout)
        while self.records.count < count, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return self.records
    }
}

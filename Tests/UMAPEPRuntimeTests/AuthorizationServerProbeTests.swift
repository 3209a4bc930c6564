import PEPCore
import Testing

@testable import UMAPEPRuntime

#if canImport(Glibc)
    import Glibc
#endif

/// `readiness.require_authorization_server`'s probe (``AuthorizationServerProbe``) across a reload.
@Suite struct AuthorizationServerProbeTests {
    /// A TCP socket listening on 127.0.0.1 at an ephemeral port; it accepts nothing, connections wait in its
    /// backlog (enough for a connect probe).
    final class Listener {
        let descriptor: Int32
        let port: Int

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                    bind(descriptor, generic, length) == 0 && listen(descriptor, 16) == 0
                        && getsockname(descriptor, generic, &length) == 0
                }
            }
            try #require(descriptor >= 0 && bound)
            self.descriptor = descriptor
            self.port = Int(UInt16(bigEndian: address.sin_port))
        }

        deinit { close(self.descriptor) }
    }

    static func server(port: Int) -> AuthorizationServerConfiguration {
        AuthorizationServerConfiguration(
            name: "dev", mode: .uma2, oxdURL: nil, opURL: "http://127.0.0.1:\(port)", oxdId: nil, clientId: "client",
            clientSecret: ConfigSecret("secret"), connectTimeout: .milliseconds(500))
    }

    static let check = AuthorizationServerProbe.checkName("dev")

    /// A reload replaces the probe: the new one starts from the old one's result for an unchanged address, so
    /// `/readyz` does not answer 503 until it has probed; a changed address starts as not probed.
    @Test func aReplacedProbeStartsFromThePreviousResult() throws {
        let listener = try Listener()
        let readiness = Readiness()
        let old = AuthorizationServerProbe(servers: [Self.server(port: listener.port)], readiness: readiness)
        #expect(readiness.snapshot().checks[Self.check] == "not probed yet")
        #expect(!readiness.snapshot().ready)
        old.probeAll()
        #expect(readiness.snapshot().checks[Self.check] == "reachable (127.0.0.1:\(listener.port))")
        #expect(readiness.snapshot().ready)

        // What PEPRuntime.reload(configuration:) does around startReachabilityProbe.
        old.cancel()
        readiness.removeAuthorizationServerChecks()
        _ = AuthorizationServerProbe(servers: [Self.server(port: listener.port)], readiness: readiness, previous: old)
        #expect(readiness.snapshot().checks[Self.check] == "reachable (127.0.0.1:\(listener.port))")
        #expect(readiness.snapshot().ready)

        readiness.removeAuthorizationServerChecks()
        let moved = AuthorizationServerProbe(
            servers: [Self.server(port: listener.port == 65535 ? 1 : listener.port + 1)], readiness: readiness,
            previous: old)
        #expect(readiness.snapshot().checks[Self.check] == "not probed yet")
        #expect(!readiness.snapshot().ready)
        moved.cancel()
    }
}

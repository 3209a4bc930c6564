import Foundation
import Testing

extension EndToEnd {
    /// The authorization server forgets uma-pep's resources (oxd or the AS restarted without its state): the
    /// request that notices gets 502 (fail closed), uma-pep registers its documents again in the background,
    /// and later requests are served again without a restart or SIGHUP.
    @Suite struct ResourceHealing {
        /// oxd mode: `/uma-rs-check-access` answers 400 `invalid_request` ("Resource is not protected…"), so
        /// uma-pep calls `/uma-rs-protect` once more; the next requests get their ticket and their grant.
        @Test func oxdModeRegistersAgain() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                try env.devAS.forgetResources()
                let noticed = try env.send("GET", "/photos/1")
                #expect(noticed.status == 502)
                #expect(try eventually { try env.devAS.counts()["/uma-rs-protect"] == 1 })
                #expect(try eventually { try env.send("GET", "/photos/1").status == 401 })
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
                #expect(env.pep.diagnostics(lines: 200).contains("registering them again"))
                // Healed once: nothing more was registered.
                #expect(try env.devAS.counts()["/uma-rs-protect"] == 1)
            }
        }

        /// Grants cached for the forgotten resources go with them: after the healing registration, an RPT granted
        /// before it is checked again (oxd now denies it) instead of being served from the decision or worker cache.
        @Test func cachedGrantsAreForgottenWithTheResources() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let token = try env.devAS.mintToken([Fixture.view])
                for _ in 0..<3 { #expect(try env.send("GET", "/photos/1", token: token).status == 200) }
                try env.devAS.forgetResources()
                #expect(try env.send("GET", "/photos/1").status == 502)
                #expect(try eventually { try env.send("GET", "/photos/1").status == 401 })
                #expect(try env.send("GET", "/photos/1", token: token).status == 403)
            }
        }

        /// uma2 mode: the permission endpoint answers 400 `invalid_resource_id`; every protected condition is
        /// registered again (`/resource_set`, new ids) and the next token-less request gets its ticket.
        @Test func uma2ModeRegistersAgain() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config(mode: "uma2"))
                try env.devAS.forgetResources()
                #expect(try env.send("GET", "/photos/1").status == 502)
                #expect(try eventually { try env.devAS.counts()["/resource_set"] == 4 })
                #expect(try eventually { try env.send("GET", "/photos/1").status == 401 })
                let token = try env.devAS.mintToken([Fixture.view])
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
            }
        }

        /// A second loss soon after a healing is not healed again before the 10 s interval: requests fail
        /// closed (502) and `/uma-rs-protect` is not called in a loop.
        @Test func healingIsRateLimited() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                try env.devAS.forgetResources()
                #expect(try env.send("GET", "/photos/1").status == 502)
                #expect(try eventually { try env.send("GET", "/photos/1").status == 401 })
                try env.devAS.forgetResources()
                for _ in 0..<5 { #expect(try env.send("GET", "/photos/1").status == 502) }
                #expect(try env.devAS.counts()["/uma-rs-protect"] == 1)
            }
        }

        /// A protected `"?"` condition always misses at oxd (no resource for the real method: 502, as the
        /// check-config warning says). That miss is not a lost registration: no request can make uma-pep
        /// re-register, which would replace the resources and invalidate every outstanding RPT.
        @Test func anyMethodMissDoesNotReRegister() async throws {
            try await offPool {
                let service = """
                      - name: api
                        url: ${UPSTREAM_URL}/_echo
                        hosts: [api.test]
                        uma_scope_expression:
                          - path: /any/??
                            conditions:
                              - {httpMethods: ["?"], scopes: [view]}
                          - path: /photos/??
                            conditions:
                              - {httpMethods: [GET], scopes: [view]}
                    """
                let env = try E2EEnvironment(config: Fixture.config(services: service))
                let token = try env.devAS.mintToken([Fixture.view])
                for _ in 0..<3 { #expect(try env.send("GET", "/any/x").status == 502) }
                #expect(try env.devAS.counts()["/uma-rs-protect"] == nil)
                #expect(try env.send("GET", "/photos/1", token: token).status == 200)
            }
        }
    }
}

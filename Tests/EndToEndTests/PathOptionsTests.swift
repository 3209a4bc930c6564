import Foundation
import Testing

extension EndToEnd {
    /// The opt-in canonicalization settings reach the data plane: what is matched is what is forwarded.
    @Suite struct PathOptions {
        /// `fold_case: true`: `/PHOTOS/1` matches `/photos/??` and is forwarded lower-cased; with the default it
        /// is a different path (no rule: 403 under `deny_by_default`).
        @Test func foldCaseMatchesAndForwardsLowerCase() async throws {
            try await offPool {
                let folded = try E2EEnvironment(config: Fixture.config(extra: "fold_case: true"))
                let token = try folded.devAS.mintToken([Fixture.view])
                let response = try folded.send("GET", "/PHOTOS/%31", token: token)
                #expect(response.status == 200)
                #expect(EchoedRequest(response)?.path == "/_echo/photos/1")
                let plain = try E2EEnvironment(config: Fixture.config())
                let other = try plain.devAS.mintToken([Fixture.view])
                #expect(try plain.send("GET", "/PHOTOS/1", token: other).status == 403)
            }
        }

        /// `encoded_slashes: keep`: `%2F` is one opaque segment character, matched by `??`, granted and
        /// forwarded encoded (the demo upstream then refuses it itself: its own server keeps the default); with
        /// the default uma-pep refuses it (400 `path.encoded_slash`) and nothing is forwarded.
        @Test func encodedSlashesKeptOpaque() async throws {
            try await offPool {
                let kept = try E2EEnvironment(config: Fixture.config(extra: "encoded_slashes: keep"))
                let token = try kept.devAS.mintToken([Fixture.view])
                _ = try kept.send("GET", "/photos/a%2fb", token: token)
                // The access line is written as the exchange ends: wait for it.
                let line = "decision=pep.granted method=GET path=/photos/a%2Fb"
                #expect(eventually(5) { kept.pep.diagnostics(lines: 400).contains(line) })
                let plain = try E2EEnvironment(config: Fixture.config())
                #expect(try plain.send("GET", "/photos/a%2Fb").status == 400)
                #expect(
                    eventually(5) {
                        plain.pep.diagnostics(lines: 400).contains("decision=path.encoded_slash")
                    })
                #expect(try plain.devAS.calls().isEmpty)
            }
        }

        /// A reply uma-pep makes itself is access-logged with its body size (`bytes_out`), like a proxied one.
        @Test func localReplyBytesAreLogged() async throws {
            try await offPool {
                let env = try E2EEnvironment(config: Fixture.config())
                let response = try env.send("POST", "/nowhere")
                #expect(response.status == 403)
                #expect(!response.body.isEmpty)
                let line = "bytes_out=\(response.body.count) decision="
                #expect(eventually(5) { env.pep.diagnostics(lines: 400).contains(line) })
            }
        }
    }
}

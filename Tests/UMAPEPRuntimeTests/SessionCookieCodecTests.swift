import PEPCore
import Testing

@testable import UMAPEPRuntime

/// The claims-gathering session cookie (AES-256-GCM through OpenSSL): every change to a sealed value, an unknown
/// or removed key, expiry or truncation opens to nothing; rotation keeps old cookies valid while their key is
/// listed.
@Suite struct SessionCookieCodecTests {
    static let now: Int64 = 1_700_000_000
    static let k1 = ClaimsGatheringSettings.CookieKey(id: "k1", key: Array(0..<32))
    static let k2 = ClaimsGatheringSettings.CookieKey(id: "k2", key: Array(repeating: 7, count: 32))
    static let codec = SessionCookieCodec(cookieName: "uma_pep_session", keys: [k1])
    static let plaintext = Array(#"{"rpt":"R","svc":"api","v":1}"#.utf8)

    @Test func roundTrip() throws {
        let sealed = try #require(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60))
        let opened = try #require(Self.codec.open(sealed, now: Self.now))
        #expect(opened.plaintext == Self.plaintext)
        #expect(opened.expiresAt == Self.now + 60)
        // Cookie-safe (base64url, no padding) and never the plaintext.
        #expect(
            sealed.utf8.allSatisfy {
                $0 == 0x2D || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0)
                    || (0x61...0x7A).contains($0)
            })
        #expect(!sealed.contains("rpt"))
        // A fresh nonce each time.
        #expect(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60) != sealed)
        // An empty plaintext seals too.
        let empty = try #require(Self.codec.seal([], expiresAt: Self.now + 60))
        #expect(Self.codec.open(empty, now: Self.now)?.plaintext == [])
    }

    @Test func everyFlippedByteFails() throws {
        let sealed = try #require(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60))
        let bytes = try #require(Base64URL.decode(sealed.utf8))
        for index in bytes.indices {
            var tampered = bytes
            tampered[index] ^= 0x01
            #expect(Self.codec.open(Base64URL.encode(tampered), now: Self.now) == nil, "byte \(index)")
        }
    }

    @Test func truncatedOrMalformedFails() throws {
        let sealed = try #require(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60))
        let bytes = try #require(Base64URL.decode(sealed.utf8))
        for length in [0, 1, 2, 5, 12, 20, bytes.count - 16, bytes.count - 1] {
            #expect(Self.codec.open(Base64URL.encode(bytes.prefix(length)), now: Self.now) == nil, "\(length)")
        }
        for value in ["", "!!!", "AQ", String(repeating: "A", count: 9000)] {
            #expect(Self.codec.open(value, now: Self.now) == nil)
        }
        // Extra bytes appended.
        #expect(Self.codec.open(Base64URL.encode(bytes + [0]), now: Self.now) == nil)
    }

    @Test func expiredFails() throws {
        let sealed = try #require(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60))
        #expect(Self.codec.open(sealed, now: Self.now + 59) != nil)
        #expect(Self.codec.open(sealed, now: Self.now + 60) == nil)
    }

    @Test func unknownKeyIdAndOtherCookieNameFail() throws {
        let sealed = try #require(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60))
        // The same key bytes under another id, and another key under the same id.
        let renamed = SessionCookieCodec(cookieName: "uma_pep_session", keys: [.init(id: "k9", key: Array(0..<32))])
        #expect(renamed.open(sealed, now: Self.now) == nil)
        let rekeyed = SessionCookieCodec(cookieName: "uma_pep_session", keys: [.init(id: "k1", key: Self.k2.key.bytes)])
        #expect(rekeyed.open(sealed, now: Self.now) == nil)
        // The value moved to another cookie name.
        let otherName = SessionCookieCodec(cookieName: "other", keys: [Self.k1])
        #expect(otherName.open(sealed, now: Self.now) == nil)
        // No keys: nothing seals or opens.
        let none = SessionCookieCodec(cookieName: "uma_pep_session", keys: [])
        #expect(none.seal(Self.plaintext, expiresAt: Self.now + 60) == nil)
        #expect(none.open(sealed, now: Self.now) == nil)
    }

    @Test func rotation() throws {
        let old = try #require(Self.codec.seal(Self.plaintext, expiresAt: Self.now + 60))
        let rotated = SessionCookieCodec(cookieName: "uma_pep_session", keys: [Self.k2, Self.k1])
        #expect(rotated.open(old, now: Self.now)?.plaintext == Self.plaintext)
        let new = try #require(rotated.seal(Self.plaintext, expiresAt: Self.now + 60))
        #expect(Self.codec.open(new, now: Self.now) == nil)
        let retired = SessionCookieCodec(cookieName: "uma_pep_session", keys: [Self.k2])
        #expect(retired.open(old, now: Self.now) == nil)
        #expect(retired.open(new, now: Self.now)?.plaintext == Self.plaintext)
    }

    @Test func storeReadsOnlyItsOwnServiceAndStripsTheCookieUpstream() throws {
        let settings = ClaimsGatheringSettings(cookieKeys: [Self.k1])
        let store = ClaimsSessionStore(
            serviceName: "api", policy: ClaimsGatheringPolicy(obtainRPT: true), settings: settings)
        let other = ClaimsSessionStore(
            serviceName: "other", policy: ClaimsGatheringPolicy(obtainRPT: true), settings: settings)
        let session = store.rptSession("R", now: Self.now)
        let header = try #require(other.setCookie(other.rptSession("X", now: Self.now), secure: true, now: Self.now))
        #expect(header.hasSuffix("; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure"))
        let foreign = String(header.split(separator: ";")[0])
        let mine = String(
            try #require(store.setCookie(session, secure: false, now: Self.now)).split(separator: ";")[0])
        #expect(store.session(from: ["a=1; \(foreign)"], now: Self.now) == nil)
        #expect(store.session(from: ["a=1; \(foreign)", mine], now: Self.now) == session)
        #expect(store.session(from: [mine], now: Self.now + 3600) == nil)
        #expect(store.upstreamCookie(["a=1; \(mine); b=2"]) == "a=1; b=2")
        #expect(store.upstreamCookie([mine]) == nil)
        #expect(store.clearCookie(secure: false) == "uma_pep_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
    }

    @Test func stateLedgerAcceptsEachStateOnce() {
        let ledger = ClaimsStateLedger(capacity: 2)
        #expect(ledger.consume("a", expiresAt: Self.now + 10, now: Self.now))
        #expect(!ledger.consume("a", expiresAt: Self.now + 10, now: Self.now))
        #expect(ledger.consume("b", expiresAt: Self.now + 10, now: Self.now))
        // Full of live entries: fail closed; once they expire, room again.
        #expect(!ledger.consume("c", expiresAt: Self.now + 10, now: Self.now))
        #expect(ledger.consume("c", expiresAt: Self.now + 30, now: Self.now + 20))
    }
}

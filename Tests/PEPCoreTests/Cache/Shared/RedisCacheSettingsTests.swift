import Testing

@testable import PEPCore

@Suite struct RedisCacheSettingsTests {
    typealias Parts = (host: String, port: Int, database: Int, username: String?, password: String?)

    @Test(
        arguments: [
            ("redis://127.0.0.1", "127.0.0.1", 6379, 0, nil, nil),
            ("redis://127.0.0.1:6380/3", "127.0.0.1", 6380, 3, nil, nil),
            ("REDIS://h:1/", "h", 1, 0, nil, nil),
            ("redis://:secret@h:6379/0", "h", 6379, 0, nil, "secret"),
            ("redis://secret@h", "h", 6379, 0, nil, "secret"),
            ("redis://user:p%40ss%3Aw@h", "h", 6379, 0, "user", "p@ss:w"),
            ("redis://user:p@ss@h", "h", 6379, 0, "user", "p@ss"),
            ("redis://[::1]:6390/1", "::1", 6390, 1, nil, nil),
            ("redis://[::1]", "::1", 6379, 0, nil, nil),
            ("redis://user:@h", "h", 6379, 0, "user", nil),
        ] as [(String, String, Int, Int, String?, String?)])
    func parses(url: String, host: String, port: Int, database: Int, username: String?, password: String?) throws {
        let parts = try RedisCacheSettings.parseURL(url)
        #expect(parts.host == host && parts.port == port && parts.database == database)
        #expect(parts.username == username && parts.password == password)
    }

    @Test(arguments: [
        ("rediss://h", RedisCacheSettings.URLError.unsupportedScheme("rediss")),
        ("unix:///tmp/redis.sock", .unsupportedScheme("unix")),
        ("h:6379", .unsupportedScheme("none")),
        ("redis://", .missingHost),
        ("redis://:pw@:6379", .missingHost),
        ("redis://h:65536", .invalidPort),
        ("redis://h:x", .invalidPort),
        ("redis://[::1]x", .invalidPort),
        ("redis://h/-1", .invalidDatabase),
        ("redis://h/db", .invalidDatabase),
        ("redis://h?db=1", .invalidSyntax("query or fragment")),
        ("redis://u:%zz@h", .invalidSyntax("bad percent escape")),
        ("redis://[::1", .invalidSyntax("unclosed '['")),
    ])
    func refuses(url: String, expected: RedisCacheSettings.URLError) {
        #expect(throws: expected) { try RedisCacheSettings.parseURL(url) }
    }

    @Test func descriptionRedactsThePassword() {
        let settings = RedisCacheSettings(host: "::1", port: 7000, database: 1, password: ConfigSecret("hunter2"))
        #expect(settings.description == "redis://:REDACTED@[::1]:7000/1")
        #expect(RedisCacheSettings(host: "h").description == "redis://h:6379/0")
        #expect(RedisCacheSettings(host: "h", username: "u").description == "redis://u@h:6379/0")
    }
}

import Testing

@testable import PEPCore

@Suite struct CustomHeaderEvaluatorTests {
    static let data = JSONValue.object([
        "client_id": .string("c1"),
        "exp": .int(1_535_709_072),
        "active": .bool(true),
        "nbf": .null,
        "scope": .array([.string("view"), .string("add")]),
        "ratio": .double(0.5),
        "claims": .object(["given_name": .string("Ann"), "city": .string("NY")]),
        "url": .string("https://x/y?a=b c"),
        "mixed": .array([.string("a"), .object([:])]),
    ])
    static let consumer = Consumer(id: "k1", customId: "c1", username: "ann")

    struct Case: CustomTestStringConvertible, Sendable {
        let label: String
        let header: CustomHeader
        let expected: [HeaderField]
        var testDescription: String { self.label }
    }

    static func header(
        _ name: String,
        _ expression: CustomHeaderExpression,
        _ format: CustomHeaderFormat? = nil,
        sep: String = ",",
        iterate: Bool = false
    ) -> CustomHeader {
        CustomHeader(headerName: name, expression: expression, format: format, separator: sep, iterate: iterate)
    }

    static let cases: [Case] = [
        Case(
            label: "string member, default format",
            header: header("X-Client", .introspectData(["client_id"])),
            expected: [.init(name: "X-Client", value: "c1")]
        ),
        Case(
            label: "number, default string",
            header: header("x_rpt_expiration", .introspectData(["exp"])),
            expected: [.init(name: "x-rpt-expiration", value: "1535709072")]
        ),
        Case(
            label: "double",
            header: header("X-R", .introspectData(["ratio"])),
            expected: [.init(name: "X-R", value: "0.5")]
        ),
        Case(
            label: "bool as text",
            header: header("X-A", .introspectData(["active"])),
            expected: [.init(name: "X-A", value: "true")]
        ),
        Case(label: "null skipped", header: header("X-N", .introspectData(["nbf"])), expected: []),
        Case(
            label: "missing member skipped",
            header: header("X-M", .introspectData(["nope", "deeper"])),
            expected: []
        ),
        Case(
            label: "walk into a scalar skipped",
            header: header("X-M", .introspectData(["client_id", "x"])),
            expected: []
        ),
        Case(
            label: "literal",
            header: header("X-Version", .literal("version 1.0")),
            expected: [.init(name: "X-Version", value: "version 1.0")]
        ),
        Case(
            label: "consumer member",
            header: header("X-Consumer-ID", .consumer(["id"])),
            expected: [.init(name: "X-Consumer-ID", value: "k1")]
        ),
        Case(
            label: "nested member",
            header: header("X-City", .introspectData(["claims", "city"])),
            expected: [.init(name: "X-City", value: "NY")]
        ),
        Case(
            label: "array index is 1-based",
            header: header("X-First", .introspectData(["scope", "1"])),
            expected: [.init(name: "X-First", value: "view")]
        ),
        Case(label: "array index 0 skipped", header: header("X-Zero", .introspectData(["scope", "0"])), expected: []),
        Case(
            label: "table defaults to base64 of JSON",
            header: header("X-Claims", .introspectData(["claims"])),
            expected: [.init(name: "X-Claims", value: "eyJjaXR5IjoiTlkiLCJnaXZlbl9uYW1lIjoiQW5uIn0=")]
        ),
        Case(
            label: "string format of table is JSON",
            header: header("X-Claims", .introspectData(["claims"]), .string),
            expected: [.init(name: "X-Claims", value: #"{"city":"NY","given_name":"Ann"}"#)]
        ),
        Case(
            label: "base64 of scalar is padded",
            header: header("X-B", .introspectData(["client_id"]), .base64),
            expected: [.init(name: "X-B", value: "YzE=")]
        ),
        Case(
            label: "jwt of table",
            header: header("X-JWT", .introspectData(["claims"]), .jwt),
            expected: [
                .init(
                    name: "X-JWT",
                    value: "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJjaXR5IjoiTlkiLCJnaXZlbl9uYW1lIjoiQW5uIn0."
                )
            ]
        ),
        Case(
            label: "jwt of scalar skipped",
            header: header("X-JWT", .introspectData(["client_id"]), .jwt),
            expected: []
        ),
        Case(
            label: "urlencoded scalar",
            header: header("X-U", .introspectData(["url"]), .urlencoded),
            expected: [.init(name: "X-U", value: "https%3A%2F%2Fx%2Fy%3Fa%3Db%20c")]
        ),
        Case(
            label: "urlencoded table",
            header: header("X-U", .introspectData(["claims"]), .urlencoded),
            expected: [.init(name: "X-U", value: "%7B%22city%22%3A%22NY%22%2C%22given_name%22%3A%22Ann%22%7D")]
        ),
        Case(
            label: "list joined with sep",
            header: header("X-Scopes", .introspectData(["scope"]), .list, sep: " "),
            expected: [.init(name: "X-Scopes", value: "view add")]
        ),
        Case(
            label: "list of a string skipped",
            header: header("X-L", .introspectData(["client_id"]), .list),
            expected: []
        ),
        Case(
            label: "list of an object skipped",
            header: header("X-L", .introspectData(["claims"]), .list),
            expected: []
        ),
        Case(
            label: "list with a table element skipped",
            header: header("X-L", .introspectData(["mixed"]), .list),
            expected: []
        ),
        Case(
            label: "iterate object, keys sorted, placeholder and _ replaced",
            header: header("X-Claim-{*}", .introspectData(["claims"]), .string, iterate: true),
            expected: [.init(name: "X-Claim-city", value: "NY"), .init(name: "X-Claim-given-name", value: "Ann")]
        ),
        Case(
            label: "iterate array uses 1-based keys",
            header: header("X-Scope-{*}", .introspectData(["scope"]), iterate: true),
            expected: [.init(name: "X-Scope-1", value: "view"), .init(name: "X-Scope-2", value: "add")]
        ),
        Case(
            label: "iterate over a scalar yields nothing",
            header: header("X-{*}", .introspectData(["client_id"]), iterate: true),
            expected: []
        ),
    ]

    /// Each expression/format combination yields the reference's header (Part B §1.1).
    @Test(arguments: Self.cases)
    func evaluatesHeader(_ testCase: Case) {
        let result = CustomHeaderEvaluator.evaluate(
            headers: [testCase.header],
            introspectData: Self.data,
            consumer: Self.consumer.jsonValue
        )
        #expect(result == .success(testCase.expected))
    }

    /// Anonymous evaluation sees `introspect_data = {}` and no consumer: only literals produce headers.
    @Test func anonymousEnvironment() {
        let headers = [
            Self.header("X-Client", .introspectData(["client_id"])), Self.header("X-Consumer", .consumer(["id"])),
            Self.header("X-Env", .literal("prod")),
        ]
        #expect(
            CustomHeaderEvaluator.evaluate(headers: headers, introspection: nil, consumer: nil)
                == .success([.init(name: "X-Env", value: "prod")])
        )
    }

    /// `introspect_data.consumer` is present when a consumer is mapped.
    @Test func mappedConsumerInIntrospectData() {
        let headers = [Self.header("X-User", .introspectData(["consumer", "username"]))]
        let result = CustomHeaderEvaluator.evaluate(
            headers: headers,
            introspection: F0.active(permissions: []),
            consumer: Self.consumer
        )
        #expect(result == .success([.init(name: "X-User", value: "ann")]))
    }

    /// A later header with the same name (any case) replaces the earlier value.
    @Test func laterHeaderWins() {
        let headers = [Self.header("X-A", .literal("1")), Self.header("x-a", .literal("2"))]
        #expect(
            CustomHeaderEvaluator.evaluate(headers: headers, introspectData: .object([:]), consumer: nil)
                == .success([.init(name: "x-a", value: "2")])
        )
    }

    struct Unsafe: CustomTestStringConvertible, Sendable {
        let label: String
        let header: CustomHeader
        let data: JSONValue
        let error: UpstreamHeaderError
        var testDescription: String { self.label }
    }

    static let unsafe: [Unsafe] = [
        Unsafe(
            label: "CRLF injection in a string value",
            header: header("X-Client", .introspectData(["client_id"])),
            data: .object(["client_id": .string("c1\r\nX-Authenticated-Scope: admin")]),
            error: .unsafeValue(header: "X-Client")
        ),
        Unsafe(
            label: "NUL in a value",
            header: header("X-Sub", .introspectData(["sub"])),
            data: .object(["sub": .string("a\u{0}b")]),
            error: .unsafeValue(header: "X-Sub")
        ),
        Unsafe(
            label: "DEL in a value",
            header: header("X-Sub", .introspectData(["sub"])),
            data: .object(["sub": .string("a\u{7f}")]),
            error: .unsafeValue(header: "X-Sub")
        ),
        Unsafe(
            label: "LF in a list element",
            header: header("X-L", .introspectData(["l"]), .list),
            data: .object(["l": .array([.string("a\nb")])]),
            error: .unsafeValue(header: "X-L")
        ),
        Unsafe(
            label: "iterate key with a space",
            header: header("X-C-{*}", .introspectData(["c"]), iterate: true),
            data: .object(["c": .object(["a b": .string("v")])]),
            error: .invalidName(header: "X-C-{*}")
        ),
        Unsafe(
            label: "iterate key with CRLF",
            header: header("X-C-{*}", .introspectData(["c"]), iterate: true),
            data: .object(["c": .object(["a\r\nb": .string("v")])]),
            error: .invalidName(header: "X-C-{*}")
        ),
        Unsafe(
            label: "iterate producing a reserved name",
            header: header("{*}", .introspectData(["c"]), iterate: true),
            data: .object(["c": .object(["Authorization": .string("Bearer x")])]),
            error: .reservedName(header: "{*}")
        ),
        Unsafe(
            label: "iterate producing X-Anonymous-Consumer",
            header: header("X-{*}", .introspectData(["c"]), iterate: true),
            data: .object(["c": .object(["Anonymous_Consumer": .string("true")])]),
            error: .reservedName(header: "X-{*}")
        ),
    ]

    /// Unsafe values and names fail the whole evaluation (fail closed, SECURITY.md case 19).
    @Test(arguments: Self.unsafe)
    func failsClosedOnUnsafeOutput(_ testCase: Unsafe) {
        #expect(
            CustomHeaderEvaluator.evaluate(headers: [testCase.header], introspectData: testCase.data, consumer: nil)
                == .failure(testCase.error)
        )
    }

    /// Encodings that escape (base64, urlencoded, jwt) make CR/LF values safe instead of failing.
    @Test func encodedFormatsNeutralizeControls() {
        let data = JSONValue.object(["client_id": .string("c1\r\nX: y")])
        for format in [CustomHeaderFormat.base64, .urlencoded] {
            let result = CustomHeaderEvaluator.evaluate(
                headers: [Self.header("X-C", .introspectData(["client_id"]), format)],
                introspectData: data,
                consumer: nil
            )
            guard case .success(let fields) = result, let value = fields.first?.value else {
                Issue.record("expected a header for \(format)")
                continue
            }
            #expect(HeaderField.isValidValue(value))
        }
    }

    /// Config-time name validation names the header and rejects reserved or malformed names.
    @Test func validatesConfiguredNames() {
        #expect(CustomHeaderEvaluator.validateName(of: Self.header("x_consumer_id", .literal("a"))) == nil)
        #expect(CustomHeaderEvaluator.validateName(of: Self.header("X-Claim-{*}", .literal("a"), iterate: true)) == nil)
        #expect(
            CustomHeaderEvaluator.validateName(of: Self.header("Host", .literal("a"))) == .reservedName(header: "Host")
        )
        #expect(
            CustomHeaderEvaluator.validateName(of: Self.header("authorization", .literal("a")))
                == .reservedName(header: "authorization")
        )
        #expect(
            CustomHeaderEvaluator.validateName(of: Self.header("X Bad", .literal("a"))) == .invalidName(header: "X Bad")
        )
        #expect(
            CustomHeaderEvaluator.validateName(of: Self.header("X-{*}", .literal("a"))) == .invalidName(header: "X-{*}")
        )
    }
}

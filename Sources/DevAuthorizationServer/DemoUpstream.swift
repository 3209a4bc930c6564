import PEPCore
import PEPProxy

/// A small JSON API standing in for the tutorial's public test API (jsonplaceholder-like), plus an echo
/// endpoint that shows exactly what the proxy forwarded.
///
/// - `GET /` → `{"resources": ["/photos", "/posts", "/todos"]}`.
/// - `GET /posts`, `/todos`, `/photos` → a JSON array of 10 items; `GET /<collection>/{id}` → the item or 404 `{}`.
/// - `POST /<collection>` → 201, the JSON object body echoed with `"id": 11` (nothing is stored);
///   `PUT`/`PATCH /<collection>/{id}` → 200, the body echoed with that id; `DELETE /<collection>/{id}` → 200 `{}`.
/// - any method on `/public` or `/public/**` → 200 `{"public": true, "method", "path"}` (what the tutorial's public
///   rule `/public/??` lets through without a token).
/// - any method on `/_echo` or `/_echo/**` → 200 `{"method", "path", "query", "headers": [[name, value], …],
///   "body_length"}` (headers in arrival order, duplicates kept; `query` is `null` when absent).
/// - anything else → 404 `{}`.
public struct DemoUpstream: Sendable {
    /// The collections served.
    public static let collections = ["photos", "posts", "todos"]
    /// Items per collection.
    public static let itemCount = 10

    /// Creates the demo upstream (stateless).
    public init() {}

    /// Answers one request.
    public func handle(_ request: HTTPRequestMessage) -> HTTPResponseMessage {
        if request.path == "/_echo" || request.path.hasPrefix("/_echo/") {
            return self.echo(request)
        }
        if request.path == "/public" || request.path.hasPrefix("/public/") {
            return Self.reply(
                200,
                .object([
                    "public": .bool(true), "method": .string(request.method), "path": .string(request.path),
                ]))
        }
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        if segments == [""] || segments.isEmpty {
            guard request.method == "GET" || request.method == "HEAD" else { return Self.reply(405, .object([:])) }
            return Self.reply(200, .object(["resources": .array(Self.collections.map { .string("/" + $0) })]))
        }
        guard let collection = segments.first, Self.collections.contains(collection), segments.count <= 2 else {
            return Self.reply(404, .object([:]))
        }
        if segments.count == 1 || segments[1].isEmpty {
            switch request.method {
            case "GET", "HEAD":
                return Self.reply(200, .array((1...Self.itemCount).map { Self.item(collection, id: $0) }))
            case "POST":
                return Self.reply(
                    201,
                    .object(Self.bodyObject(request).merging(["id": .int(Int64(Self.itemCount + 1))]) { _, new in new })
                )
            default:
                return Self.reply(405, .object([:]))
            }
        }
        guard let id = Int(segments[1]), (1...Self.itemCount).contains(id) else { return Self.reply(404, .object([:])) }
        switch request.method {
        case "GET", "HEAD":
            return Self.reply(200, Self.item(collection, id: id))
        case "PUT", "PATCH":
            return Self.reply(200, .object(Self.bodyObject(request).merging(["id": .int(Int64(id))]) { _, new in new }))
        case "DELETE":
            return Self.reply(200, .object([:]))
        default:
            return Self.reply(405, .object([:]))
        }
    }

    private func echo(_ request: HTTPRequestMessage) -> HTTPResponseMessage {
        let headers: [JSONValue] = request.headers.map { .array([.string($0.name), .string($0.value)]) }
        return Self.reply(
            200,
            .object([
                "method": .string(request.method), "path": .string(request.path),
                "query": request.query.map { .string($0) } ?? .null, "headers": .array(headers),
                "body_length": .int(Int64(request.body.count)),
            ]))
    }

    /// One deterministic item of `collection`.
    static func item(_ collection: String, id: Int) -> JSONValue {
        let n = Int64(id)
        switch collection {
        case "posts":
            return .object([
                "userId": .int((n + 1) / 2), "id": .int(n), "title": .string("post \(id)"),
                "body": .string("body of post \(id)"),
            ])
        case "todos":
            return .object([
                "userId": .int((n + 1) / 2), "id": .int(n), "title": .string("todo \(id)"),
                "completed": .bool(id % 2 == 0),
            ])
        default:
            return .object([
                "albumId": .int((n + 1) / 2), "id": .int(n), "title": .string("photo \(id)"),
                "url": .string("https://example.invalid/photos/\(id).png"),
                "thumbnailUrl": .string("https://example.invalid/photos/\(id)-thumb.png"),
            ])
        }
    }

    private static func bodyObject(_ request: HTTPRequestMessage) -> [String: JSONValue] {
        JSONText.parse(request.body)?.objectValue ?? [:]
    }

    private static func reply(_ status: Int, _ value: JSONValue) -> HTTPResponseMessage {
        HTTPResponseMessage(
            status: status, headers: [("Content-Type", "application/json; charset=utf-8")],
            body: Array(JSONText.render(value).utf8))
    }
}

import PEPCore
import PEPProxy
import Testing

@testable import DevAuthorizationServer

/// The demo upstream API and its echo endpoint.
@Suite struct DemoUpstreamTests {
    private let upstream = DemoUpstream()

    private func json(_ response: HTTPResponseMessage) -> JSONValue { JSONText.parse(response.body) ?? .null }

    /// Collections list ten items; an item by id; unknown ids and paths are 404.
    @Test(arguments: DemoUpstream.collections)
    func collectionsAndItems(collection: String) {
        let list = self.upstream.handle(.init(method: "GET", path: "/" + collection))
        #expect(list.status == 200)
        #expect(self.json(list).arrayValue?.count == 10)
        let item = self.upstream.handle(.init(method: "GET", path: "/\(collection)/3"))
        #expect(self.json(item)["id"] == .int(3))
        #expect(self.upstream.handle(.init(method: "GET", path: "/\(collection)/11")).status == 404)
        #expect(self.upstream.handle(.init(method: "GET", path: "/\(collection)/1/x")).status == 404)
    }

    /// POST echoes the created object with id 11 and 201; PUT echoes with the item id.
    @Test func writesEcho() {
        let created = self.upstream.handle(.init(method: "POST", path: "/posts", body: Array(#"{"title":"t"}"#.utf8)))
        #expect(created.status == 201)
        #expect(self.json(created) == .object(["title": .string("t"), "id": .int(11)]))
        let put = self.upstream.handle(
            .init(method: "PUT", path: "/todos/2", body: Array(#"{"id":99,"done":true}"#.utf8)))
        #expect(self.json(put) == .object(["done": .bool(true), "id": .int(2)]))
        #expect(self.upstream.handle(.init(method: "DELETE", path: "/photos/1")).status == 200)
        #expect(self.upstream.handle(.init(method: "DELETE", path: "/photos")).status == 405)
    }

    /// `/public/**` (the tutorial's public rule) answers 200 with a small JSON body, for any method.
    @Test func publicPathAnswers() {
        let response = self.upstream.handle(.init(method: "GET", path: "/public/hello"))
        #expect(response.status == 200)
        #expect(
            self.json(response)
                == .object(["public": .bool(true), "method": .string("GET"), "path": .string("/public/hello")]))
        #expect(self.upstream.handle(.init(method: "POST", path: "/public")).status == 200)
        #expect(self.upstream.handle(.init(method: "GET", path: "/publicity")).status == 404)
    }

    /// `/_echo/**` reports method, path, query, headers in order (duplicates kept) and body length.
    @Test func echoShowsWhatArrived() {
        let response = self.upstream.handle(
            .init(
                method: "PATCH", path: "/_echo/a/b", query: "x=1&y",
                headers: [("Host", "api.test"), ("X-Dup", "1"), ("x-dup", "2")], body: Array("hello".utf8)))
        let body = self.json(response)
        #expect(body["method"] == .string("PATCH"))
        #expect(body["path"] == .string("/_echo/a/b"))
        #expect(body["query"] == .string("x=1&y"))
        #expect(body["body_length"] == .int(5))
        #expect(
            body["headers"]
                == .array([
                    .array([.string("Host"), .string("api.test")]), .array([.string("X-Dup"), .string("1")]),
                    .array([.string("x-dup"), .string("2")]),
                ]))
        #expect(self.json(self.upstream.handle(.init(method: "GET", path: "/_echo")))["query"] == .null)
    }

    /// The root lists the collections; anything else is 404.
    @Test func rootAndUnknown() {
        #expect(self.json(self.upstream.handle(.init(method: "GET", path: "/")))["resources"]?.arrayValue?.count == 3)
        #expect(self.upstream.handle(.init(method: "GET", path: "/users")).status == 404)
    }
}

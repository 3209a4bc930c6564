#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Parses the JSON body of an authorization-server answer into a `JSONValue` (RFC 8259).
///
/// Anything that is not one complete JSON document — non-JSON text, a truncated body, trailing garbage — is
/// `AuthorizationServerError.malformedBody` (SPEC A8, SECURITY.md case 20). Numbers without a fraction keep
/// their integer-ness (`.int`), so `exp` values round-trip exactly.
enum JSONBody {
    /// Parses a body.
    /// - Parameter body: the raw bytes.
    /// - Returns: the value, or `.malformedBody`.
    static func parse(_ body: some Collection<UInt8>) -> Result<JSONValue, AuthorizationServerError> {
        do {
            let node = try JSONDecoder().decode(Node.self, from: Data(body))
            return .success(node.value)
        } catch {
            return .failure(.malformedBody)
        }
    }

    /// Parses a body that must be a JSON object.
    /// - Parameter body: the raw bytes.
    /// - Returns: the members, or `.malformedBody`.
    static func parseObject(_ body: some Collection<UInt8>) -> Result<[String: JSONValue], AuthorizationServerError> {
        Self.parse(body).flatMap { value in
            guard let members = value.objectValue else { return .failure(.malformedBody) }
            return .success(members)
        }
    }

    /// A private `Decodable` wrapper, so no public conformance of the shared `JSONValue` is declared here.
    private struct Node: Decodable {
        let value: JSONValue

        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                var elements: [JSONValue] = []
                while !array.isAtEnd { elements.append(try array.decode(Node.self).value) }
                self.value = .array(elements)
                return
            }
            if let object = try? decoder.container(keyedBy: Key.self) {
                var members: [String: JSONValue] = [:]
                for key in object.allKeys { members[key.stringValue] = try object.decode(Node.self, forKey: key).value }
                self.value = .object(members)
                return
            }
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self.value = .null
            } else if let flag = try? single.decode(Bool.self) {
                self.value = .bool(flag)
            } else if let integer = try? single.decode(Int64.self) {
                self.value = .int(integer)
            } else if let number = try? single.decode(Double.self) {
                self.value = .double(number)
            } else {
                self.value = .string(try single.decode(String.self))
            }
        }
    }

    private struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

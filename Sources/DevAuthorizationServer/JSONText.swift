import PEPCore

/// JSON in and out of the development authorization server: PEPCore's strict `JSONCodec` with the optional
/// results the handlers want (a body that is not JSON is answered with the endpoint's own error code).
enum JSONText {
    /// Parses a body; `nil` when it is not one valid JSON text.
    static func parse(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONCodec.parse(bytes)
    }

    /// Parses a string; `nil` when it is not one valid JSON text.
    static func parse(_ text: String) -> JSONValue? {
        try? JSONCodec.parse(text)
    }

    /// Compact JSON with sorted keys.
    static func render(_ value: JSONValue) -> String {
        JSONCodec.serializeToString(value)
    }
}

/// Keeps secrets out of configuration error messages: a URL that is echoed back never shows its user
/// information (`user:password@`) or its query (which may hold a token).
enum ConfigRedaction {
    /// `text` with `user:password@` replaced by `***@` and anything after `?` or `#` replaced by `?***`.
    static func url(_ text: String) -> String {
        var result = text
        if let cut = result.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            result = String(result[..<cut]) + "?***"
        }
        let authorityStart = result.range(of: "://").map(\.upperBound) ?? result.startIndex
        let authorityEnd = result[authorityStart...].firstIndex(of: "/") ?? result.endIndex
        if let at = result[authorityStart..<authorityEnd].lastIndex(of: "@") {
            result = String(result[..<authorityStart]) + "***" + String(result[at...])
        }
        return result
    }
}

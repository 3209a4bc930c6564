import Foundation

/// The oxd-format UMA challenge (SPEC A2, Part B §2.10):
/// `UMA realm="rs",as_uri="<issuer>",error="insufficient_scope",ticket="<ticket>"`, no spaces, in that order.
enum Challenge {
    /// Whether `value` has exactly that shape for `asURI` (and a non-empty ticket without quotes or spaces).
    static func matches(_ value: String, asURI: String, realm: String = "rs") -> Bool {
        let prefix = "UMA realm=\"\(realm)\",as_uri=\"\(asURI)\",error=\"insufficient_scope\",ticket=\""
        guard value.hasPrefix(prefix), value.hasSuffix("\"") else { return false }
        let ticket = value.dropFirst(prefix.count).dropLast()
        return !ticket.isEmpty && !ticket.contains(where: { $0 == "\"" || $0 == " " || $0 == "," })
    }

    /// The ticket, taken as the tutorial client does: 4th comma-separated item, after `=`, quotes stripped.
    static func ticket(_ value: String) -> String? {
        let items = value.split(separator: ",")
        guard items.count == 4, let equals = items[3].firstIndex(of: "=") else { return nil }
        return items[3][items[3].index(after: equals)...].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }
}

/// One thing `uma-pep import kong` could not carry over unchanged, or changed on the way (docs/migration.md,
/// "Import from Kong").
///
/// `path` locates the Kong value in the input: `services[0].routes[1].paths` in a declarative file (nested or
/// flat, as written), `services[3].retries` for the fourth service the Admin API listed (pages concatenated).
/// `message` says what happened to it and why; it never contains a secret value (`client_secret`,
/// credentials, `claims_gathering_pct_value`).
public struct KongImportNote: Sendable, Equatable, CustomStringConvertible {
    /// How much the note matters to whoever reviews the import.
    public enum Severity: String, Sendable, Equatable, Comparable {
        /// Converted, but differently from what Kong did (a rename, a merge, a default that changed).
        case changed
        /// Dropped: uma-pep has no equivalent. The rest of the service was converted.
        case dropped
        /// A service, route or plugin left out because converting it would change who gets access (fail closed).
        case skipped

        /// `changed` < `dropped` < `skipped`.
        public static func < (lhs: Self, rhs: Self) -> Bool {
            let order: [Self] = [.changed, .dropped, .skipped]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    /// How much it matters.
    public var severity: Severity
    /// Where the value was in the input (see the type's documentation).
    public var path: String
    /// What happened and why.
    public var message: String

    /// Creates a note.
    public init(_ severity: Severity, _ path: String, _ message: String) {
        self.severity = severity
        self.path = path
        self.message = message
    }

    /// `"<severity>: <path>: <message>"`, one line of the report `import kong` prints on stderr.
    /// Control characters from the Kong input (a CR or LF in a name or value, ESC or a C1 control such as U+009B
    /// that a terminal would act on) are written as `\u{…}` escapes, so a crafted value cannot forge report lines
    /// or drive the terminal.
    public var description: String {
        Self.printable("\(self.severity.rawValue): \(self.path): \(self.message)")
    }

    static func printable(_ text: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool { scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) }
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(
            text.unicodeScalars.map { isControl($0) ? $0.escaped(asASCII: true) : String($0) }.joined())
    }
}

/// Why `uma-pep import kong` produced no configuration at all.
public struct KongImportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the input path when there is one.
    public var message: String

    /// Creates an error.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { self.message }
}

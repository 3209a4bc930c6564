import Foundation

/// A browser stand-in: the `curl` command line with a cookie jar (`-c`/`-b`), optionally following redirects
/// (`-L`), as a real HTTP client would behave. Loopback only, every call bounded by `--max-time`.
final class CurlBrowser: @unchecked Sendable {
    let directory: ScratchDirectory
    let jar: String
    private var sequence = 0

    /// A browser with an empty cookie jar in `directory`.
    init(directory: ScratchDirectory, name: String = "jar") throws {
        self.directory = directory
        self.jar = try directory.write("\(name).txt", "")
    }

    /// One answer: the last response's status, its headers, body and URL (after redirects when followed).
    struct Response {
        var status: Int
        var url: String
        var headers: [(String, String)]
        var body: String

        func header(_ name: String) -> String? {
            self.headers.last { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// `GET url`.
    func get(_ url: String, follow: Bool = false) throws -> Response {
        try self.run(url, follow: follow, form: nil)
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body, as a browser submits a form.
    func post(_ url: String, form: [(String, String)], follow: Bool = false) throws -> Response {
        try self.run(url, follow: follow, form: form)
    }

    /// The value of cookie `name` in the jar, or nil.
    func cookie(_ name: String) throws -> String? {
        let text = try String(contentsOfFile: self.jar, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if fields.count == 7, fields[5] == name { return String(fields[6]) }
        }
        return nil
    }

    /// Replaces the value of cookie `name` in the jar (a tampering user).
    func setCookie(_ name: String, _ value: String) throws {
        let text = try String(contentsOfFile: self.jar, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if fields.count == 7, fields[5] == name { fields[6] = value }
            return fields.joined(separator: "\t")
        }
        try lines.joined(separator: "\n").write(toFile: self.jar, atomically: true, encoding: .utf8)
    }

    /// A copy of this browser's cookies in a new jar (an attacker who captured them).
    func copy(name: String) throws -> CurlBrowser {
        let other = try CurlBrowser(directory: self.directory, name: name)
        try String(contentsOfFile: self.jar, encoding: .utf8).write(
            toFile: other.jar, atomically: true, encoding: .utf8)
        return other
    }

    private func run(_ url: String, follow: Bool, form: [(String, String)]?) throws -> Response {
        self.sequence += 1
        let headerFile = self.directory.url.appendingPathComponent("\(self.sequence)-headers.txt").path
        let bodyFile = self.directory.url.appendingPathComponent("\(self.sequence)-body.txt").path
        var arguments = [
            "-s", "--max-time", "10", "-c", self.jar, "-b", self.jar, "-D", headerFile, "-o", bodyFile, "-w",
            "%{http_code} %{url_effective}",
        ]
        if follow { arguments += ["-L", "--max-redirs", "10"] }
        for (name, value) in form ?? [] { arguments += ["--data-urlencode", "\(name)=\(value)"] }
        arguments.append(url)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let summary = String(decoding: data, as: UTF8.self).split(separator: " ", maxSplits: 1)
        guard process.terminationStatus == 0, summary.count == 2, let status = Int(summary[0]) else {
            throw E2EError.unexpected("curl \(url): exit \(process.terminationStatus), \(summary)")
        }
        // With -L the dump holds every response's head: keep the last one.
        let dump = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        let blocks = dump.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
        var headers: [(String, String)] = []
        for line in (blocks.last ?? "").components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let body = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return Response(status: status, url: String(summary[1]), headers: headers, body: body)
    }
}

/// The hidden and visible fields of the development AS's claims-gathering form.
enum ClaimsForm {
    /// `name="…" value="…"` pairs of the page's `<input>` elements (the dev AS escapes `&`, `<`, `"`).
    static func fields(_ html: String) -> [(String, String)] {
        var out: [(String, String)] = []
        for piece in html.components(separatedBy: "<input").dropFirst() {
            guard let name = Self.attribute("name", in: piece) else { continue }
            out.append((name, Self.attribute("value", in: piece) ?? ""))
        }
        return out
    }

    private static func attribute(_ name: String, in tag: String) -> String? {
        guard let start = tag.range(of: " \(name)=\"") else { return nil }
        let rest = tag[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end]).replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The form with Country / City filled in.
    static func filled(_ html: String, country: String, city: String) -> [(String, String)] {
        fields(html).map { field in
            switch field.0 {
            case "country": return (field.0, country)
            case "city": return (field.0, city)
            default: return field
            }
        }
    }
}

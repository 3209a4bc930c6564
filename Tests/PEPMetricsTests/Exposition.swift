/// A minimal parser for the Prometheus text exposition format 0.0.4, so tests compare parsed samples rather
/// than whole blobs.
struct Exposition {
    /// One sample line: metric name, labels in output order, value text.
    struct Sample: Equatable, CustomStringConvertible {
        var name: String
        var labels: [(String, String)]
        var value: String

        static func == (lhs: Sample, rhs: Sample) -> Bool {
            lhs.name == rhs.name && lhs.value == rhs.value && lhs.labels.count == rhs.labels.count
                && zip(lhs.labels, rhs.labels).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        }

        var description: String {
            "\(self.name){\(self.labels.map { "\($0)=\"\($1)\"" }.joined(separator: ","))} \(self.value)"
        }

        func label(_ name: String) -> String? {
            self.labels.first { $0.0 == name }?.1
        }
    }

    enum ParseError: Error {
        case badLine(String)
    }

    /// `# HELP` text per family.
    var help: [String: String] = [:]
    /// `# TYPE` per family.
    var type: [String: String] = [:]
    /// Family names in order of their first `# HELP`/`# TYPE` line.
    var familyOrder: [String] = []
    /// Every sample in order.
    var samples: [Sample] = []

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                let value = String(rest.dropFirst(name.count + 1))
                if !self.familyOrder.contains(name) {
                    self.familyOrder.append(name)
                }
                if line.hasPrefix("# HELP ") {
                    self.help[name] = value
                } else {
                    self.type[name] = value
                }
                continue
            }
            self.samples.append(try Self.parseSample(line))
        }
    }

    private static func parseSample(_ line: Substring) throws -> Sample {
        var name = ""
        var index = line.startIndex
        while index < line.endIndex, line[index] != "{", line[index] != " " {
            name.append(line[index])
            index = line.index(after: index)
        }
        var labels: [(String, String)] = []
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while index < line.endIndex, line[index] != "}" {
                var key = ""
                while index < line.endIndex, line[index] != "=" {
                    key.append(line[index])
                    index = line.index(after: index)
                }
                index = line.index(index, offsetBy: 2, limitedBy: line.endIndex) ?? line.endIndex  // `="`
                var value = ""
                while index < line.endIndex, line[index] != "\"" {
                    if line[index] == "\\" {
                        index = line.index(after: index)
                        guard index < line.endIndex else { throw ParseError.badLine(String(line)) }
                        value.append(line[index] == "n" ? "\n" : line[index])
                    } else {
                        value.append(line[index])
                    }
                    index = line.index(after: index)
                }
                guard index < line.endIndex else { throw ParseError.badLine(String(line)) }
                index = line.index(after: index)  // closing quote
                if index < line.endIndex, line[index] == "," {
                    index = line.index(after: index)
                }
                labels.append((key, value))
            }
            guard index < line.endIndex else { throw ParseError.badLine(String(line)) }
            index = line.index(after: index)  // `}`
        }
        guard index < line.endIndex, line[index] == " " else { throw ParseError.badLine(String(line)) }
        let value = String(line[line.index(after: index)...])
        guard !name.isEmpty, !value.isEmpty, !value.contains(" ") else { throw ParseError.badLine(String(line)) }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Samples of one family (histograms: the `_bucket`, `_sum` and `_count` samples).
    func samples(of family: String) -> [Sample] {
        self.samples.filter {
            $0.name == family || $0.name == family + "_bucket" || $0.name == family + "_sum"
                || $0.name == family + "_count"
        }
    }

    /// The value of the sample `name` with exactly `labels` (in order), or `nil`.
    func value(_ name: String, _ labels: [(String, String)] = []) -> String? {
        let wanted = Sample(name: name, labels: labels, value: "")
        let match = self.samples.first { Sample(name: $0.name, labels: $0.labels, value: "") == wanted }
        return match?.value
    }
}

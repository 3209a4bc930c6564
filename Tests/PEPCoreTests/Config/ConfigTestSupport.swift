import Foundation
import Testing

@testable import PEPCore

/// Helpers shared by the configuration tests.
enum ConfigTestSupport {
    /// The text of `Fixtures/config/<name>`. The fixtures are kept byte-identical to `Config/<name>` (tests may
    /// not read outside their bundle, so copy the file again whenever the example changes).
    static func fixture(_ name: String) throws -> String {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        let url = try #require(
            Bundle.module.url(forResource: parts[0], withExtension: parts[1], subdirectory: "Fixtures/config"))
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Loads `text` with the given environment and 4 cores.
    static func load(
        _ text: String, environment: [String: String] = [:], file: String = "test.yaml"
    ) throws(ConfigError) -> PEPConfiguration {
        try ConfigLoader.load(text: text, fileName: file, environment: environment, coreCount: 4)
    }

    /// The error `text` gives, or `nil` when it loads.
    static func error(_ text: String, environment: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try Self.load(text, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    /// A valid configuration with one service whose `uma_scope_expression` is `document` (YAML, indented to sit
    /// under the key) and extra service-level YAML in `serviceExtra` (indented 4 spaces).
    static func config(document: String = defaultDocument, serviceExtra: String = "", topExtra: String = "") -> String {
        """
        authorization_servers:
          gluu:
            mode: oxd
            oxd_url: https://oxd.example.com:8443
            op_url: https://gluu.example.com
            oxd_id: oxd-1
            client_id: client-1
            client_secret: s3cr3t-value
        \(topExtra)
        services:
          - name: api
            url: http://127.0.0.1:9000
            hosts: [api.example.com]
        \(serviceExtra)
            uma_scope_expression:
        \(document)
        """
    }

    /// One rule, `GET /posts/??` with scope `read`, indented for `config(document:)`.
    static let defaultDocument = """
              - path: /posts/??
                conditions:
                  - httpMethods: [GET]
                    scopes: [read]
        """

    /// A document given as a YAML string holding JSON, indented for `config(document:)`.
    static func jsonDocument(_ json: String) -> String {
        "      '" + json.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

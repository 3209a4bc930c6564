extension ConfigLoader {
    /// `listen[].tls`: `certificate` + `private_key` (the default certificate), optional `certificates` (more
    /// `{certificate, private_key}` pairs, chosen by SNI; the first entry is the default when the single pair
    /// is absent), optional `client_ca` (mutual TLS).
    static func loadListenerTLS(
        _ node: ConfigNode, at path: FieldPath, file: String
    ) throws(ConfigError) -> ListenerTLS {
        let tls = try ConfigReader(
            node, at: path, file: file, allowed: ["certificate", "private_key", "certificates", "client_ca"])
        var pairs: [TLSCertificatePaths] = []
        if tls.has("certificate") || tls.has("private_key") || !tls.has("certificates") {
            pairs.append(
                TLSCertificatePaths(
                    certificatePath: try tls.requiredString("certificate"),
                    privateKeyPath: try tls.requiredString("private_key")))
        }
        if let items = try tls.sequence("certificates") {
            guard !items.isEmpty else {
                throw tls.error("certificates", .missingField, "list at least one {certificate, private_key} pair")
            }
            for (index, item) in items.enumerated() {
                let entry = try ConfigReader(
                    item, at: path["certificates"][index], file: file, allowed: ["certificate", "private_key"])
                pairs.append(
                    TLSCertificatePaths(
                        certificatePath: try entry.requiredString("certificate"),
                        privateKeyPath: try entry.requiredString("private_key")))
            }
        }
        return ListenerTLS(
            certificatePath: pairs[0].certificatePath, privateKeyPath: pairs[0].privateKeyPath,
            clientCAPath: try tls.string("client_ca"), additionalCertificates: Array(pairs.dropFirst()))
    }

    /// `client_certificate` + `client_private_key`: both or neither.
    static func loadClientCertificate(_ reader: ConfigReader) throws(ConfigError) -> TLSCertificatePaths? {
        guard reader.has("client_certificate") || reader.has("client_private_key") else { return nil }
        return TLSCertificatePaths(
            certificatePath: try reader.requiredString("client_certificate"),
            privateKeyPath: try reader.requiredString("client_private_key"))
    }
}

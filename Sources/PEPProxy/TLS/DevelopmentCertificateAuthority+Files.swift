import Foundation

/// The files `DevelopmentCertificateAuthority.writeDevelopmentFiles` produced.
public struct DevelopmentTLSFiles: Sendable {
    /// The directory holding them.
    public let directory: String
    /// The CA certificate (trust anchor for clients: `ca_file`, `client_ca`, `curl --cacert`).
    public let caCertificatePath: String
    /// A server certificate and key for the names asked for.
    public let server: TLSCertificateFiles
    /// A client certificate and key (CN `uma-pep development client`) for mTLS.
    public let client: TLSCertificateFiles
}

extension DevelopmentCertificateAuthority {
    /// Generates a CA, a server certificate for `serverNames` and a client certificate, and writes them to
    /// `directory` (created if needed) as `ca.pem`, `server.pem`/`server-key.pem`, `client.pem`/`client-key.pem`.
    ///
    /// - Parameter serverNames: DNS names and IP literals the server certificate covers (subjectAltName).
    /// - Throws: `TLSError.generationFailed`, or Foundation's file errors.
    public static func writeDevelopmentFiles(
        to directory: String, serverNames: [String]
    ) throws -> DevelopmentTLSFiles {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ca = try DevelopmentCertificateAuthority()
        let base = URL(fileURLWithPath: directory)
        let path = { (name: String) in base.appendingPathComponent(name).path }
        try ca.writeCertificate(to: path("ca.pem"))
        let server = TLSCertificateFiles(certificatePath: path("server.pem"), privateKeyPath: path("server-key.pem"))
        try ca.issue(commonName: serverNames.first ?? "localhost", names: serverNames, usage: .server)
            .write(certificatePath: server.certificatePath, privateKeyPath: server.privateKeyPath)
        let client = TLSCertificateFiles(certificatePath: path("client.pem"), privateKeyPath: path("client-key.pem"))
        try ca.issue(commonName: "uma-pep development client", usage: .client)
            .write(certificatePath: client.certificatePath, privateKeyPath: client.privateKeyPath)
        return DevelopmentTLSFiles(
            directory: directory, caCertificatePath: path("ca.pem"), server: server, client: client)
    }
}

/// A socket address to bind: `"0.0.0.0:8000"`, `"127.0.0.1:8001"`, `"[::1]:8000"`, `"[::]:8443"`.
///
/// The host must be an IP literal (no name resolution in the core); IPv6 needs brackets. Port 0 asks the
/// kernel for a free port (tests use it; the bound port is then reported by the server).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address to bind.
    public let host: IPAddress
    /// The port, 0…65535.
    public let port: UInt16

    /// Creates an address.
    public init(host: IPAddress, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `ipv4:port` or `[ipv6]:port`.
    /// - Returns: `nil` when the port is missing or out of range, or the host is not an IP literal.
    public init?(_ text: String) {
        guard let (hostText, port) = HostName.splitHostPort(text, allowZeroPort: true), let port else { return nil }
        if hostText.hasPrefix("[") {
            guard let address = IPAddress(String(hostText.dropFirst().dropLast())), address.isIPv6 else {
                return nil
            }
            self.host = address
        } else {
            guard let address = IPAddress(hostText), !address.isIPv6 else { return nil }
            self.host = address
        }
        self.port = port
    }

    /// `host:port` with brackets around IPv6 hosts.
    public var description: String {
        self.host.isIPv6 ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
    }
}

private import COpenSSL

/// Facts about the OpenSSL build the development authorization server uses.
public enum OpenSSLInfo {
    /// The OpenSSL version string.
    public static var version: String { String(cString: OpenSSL_version(numericCast(OPENSSL_VERSION))) }
}

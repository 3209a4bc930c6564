private import CCurl

/// Facts about the libcurl build the control plane runs on.
public enum CurlInfo {
    /// The libcurl version string.
    public static var version: String { String(cString: curl_version()) }
}

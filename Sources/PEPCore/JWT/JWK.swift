/// A public signing key from a JWK Set (RFC 7517 §4, RFC 7518 §6), reduced to what verification needs.
public struct JWK: Sendable, Equatable {
    /// The key material.
    public enum Material: Sendable, Equatable {
        /// RSA modulus and public exponent, big-endian unsigned (RFC 7518 §6.3.1 `n`, `e`).
        case rsa(n: [UInt8], e: [UInt8])
        /// An EC public point: `crv` (`P-256` / `P-384`) and the coordinates (RFC 7518 §6.2.1 `x`, `y`).
        case ec(curve: String, x: [UInt8], y: [UInt8])
    }

    /// `kid`.
    public var kid: String
    /// `alg`, if the key names one.
    public var alg: String?
    /// `use`, if present.
    public var use: String?
    /// The key material.
    public var material: Material
    /// `exp` (a Gluu extension), seconds since the epoch; a value over 10^12 is read as milliseconds (oxd's
    /// documentation shows milliseconds, its mock seconds). `nil` = lives until the set is fetched again.
    public var expiresAt: Int64?

    /// Creates a key.
    public init(kid: String, alg: String? = nil, use: String? = nil, material: Material, expiresAt: Int64? = nil) {
        self.kid = kid
        self.alg = alg
        self.use = use
        self.material = material
        self.expiresAt = expiresAt
    }

    /// Reads one JWK.
    /// - Parameter json: a member of the set's `keys` array.
    /// - Returns: the key, or `nil` when it has no `kid`, a `kty` other than `RSA` / `EC`, a curve other than
    ///   P-256 / P-384, or missing / non-base64url material (such keys are skipped, like the reference skips keys
    ///   it cannot use). `x5c` is not read: `n` / `e` carry the same public key.
    public init?(json: JSONValue) {
        guard let members = json.objectValue, let kid = members["kid"]?.stringValue, !kid.isEmpty else { return nil }
        let material: Material
        switch members["kty"]?.stringValue {
        case "RSA":
            guard let n = Self.bytes(members["n"]), let e = Self.bytes(members["e"]), !n.isEmpty, !e.isEmpty else {
                return nil
            }
            material = .rsa(n: n, e: e)
        case "EC":
            guard let curve = members["crv"]?.stringValue, curve == "P-256" || curve == "P-384",
                let x = Self.bytes(members["x"]), let y = Self.bytes(members["y"]),
                x.count == (curve == "P-256" ? 32 : 48), y.count == x.count
            else { return nil }
            material = .ec(curve: curve, x: x, y: y)
        default:
            return nil
        }
        var expiresAt = members["exp"]?.intValue
        if let value = expiresAt, value > 1_000_000_000_000 { expiresAt = value / 1000 }
        self.init(
            kid: kid, alg: members["alg"]?.stringValue, use: members["use"]?.stringValue, material: material,
            expiresAt: expiresAt)
    }

    /// The usable keys of a JWK Set's `keys` array, by `kid` (RFC 7517 §5): keys `init?(json:)` refuses and keys
    /// whose `exp` is not after `now` are left out; of two keys with one `kid` the first is kept.
    /// - Parameters:
    ///   - keys: the `keys` array.
    ///   - now: seconds since the epoch.
    /// - Returns: the keys by `kid`.
    public static func usableKeys(_ keys: [JSONValue], now: Int64) -> [String: JWK] {
        var result: [String: JWK] = [:]
        for item in keys {
            guard let key = JWK(json: item), result[key.kid] == nil else { continue }
            if let exp = key.expiresAt, exp <= now { continue }
            result[key.kid] = key
        }
        return result
    }

    private static func bytes(_ value: JSONValue?) -> [UInt8]? {
        guard let text = value?.stringValue else { return nil }
        return Base64URL.decode(text.utf8)
    }
}

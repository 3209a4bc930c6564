public import PEPCore

extension RequestHead {
    /// The canonical target of this request (SPEC A5), read from the head bytes in place; the Host header
    /// decides whether an absolute-form target is accepted.
    ///
    /// - Parameter options: the service's path choices.
    /// - Throws: `CanonicalTargetError`, answered `400`.
    public func canonicalTarget(
        options: CanonicalTarget.Options = CanonicalTarget.Options()
    ) throws(CanonicalTargetError) -> CanonicalTarget {
        let result = self.withUnsafeTargetBytes { bytes in
            Result { () throws(CanonicalTargetError) -> CanonicalTarget in
                try CanonicalTarget.canonicalize(
                    requestTarget: bytes, method: self.method, host: self.host, options: options)
            }
        }
        return try result.get()
    }
}

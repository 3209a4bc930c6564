import PEPCore

@testable import UMAPEPRuntime

extension EnforcementDriver.ServiceContext {
    /// Service `photos` of authorization server `as` in oxd mode, protecting `document` (its rules resolved with
    /// `nearMiss: .protect`), for driver tests. `baseRemove` stands for the reserved names a configuration
    /// removes; the other parameters are the `ServicePolicy` and `ServiceContext` fields of the same names.
    static func photos(
        document: ProtectionDocument, denyByDefault: Bool, passCredentials: PassCredentials = .pass,
        customHeaders: [CustomHeader] = [], backend: (any AuthorizationBackend)? = nil, baseRemove: [String] = [],
        reportOnly: Bool = false
    ) throws -> EnforcementDriver.ServiceContext {
        let policy = EnforcementPolicy(
            service: ServicePolicy(
                serviceName: "photos", authorizationServer: "as", denyByDefault: denyByDefault,
                passCredentials: passCredentials, customHeaders: customHeaders),
            mode: .oxd)
        return EnforcementDriver.ServiceContext(
            policy: policy,
            rules: try RuleResolver(document: document, nearMiss: .protect, denyByDefault: denyByDefault),
            document: document, resourceIds: ResourceIds(document: document), backend: backend, metricsID: nil,
            baseRemove: baseRemove, removePatterns: [], reportOnly: reportOnly)
    }
}

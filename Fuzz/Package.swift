// swift-tools-version:6.0
// libFuzzer harnesses for uma-pep: the HTTP/1.1 codec and request-target canonicalizer, the chunked decoder, the
// configuration loader, the protection-document matcher, and authorization-server answers. Build and run:
// README.md, or `make fuzz` from the repository root.
//
// `HTTP1Codec` compiles the codec's own sources (`Sources/HTTP1Codec` is a symlink to
// `../Sources/PEPProxy/HTTP1`): the main package exports no `PEPProxy` library product, and the rest of PEPProxy
// links libevent, which the codec does not use. `CanonicalTarget` comes from the main package's `PEPCore` product.
import PackageDescription

let package = Package(
    name: "uma-pep-fuzz",
    dependencies: [
        .package(name: "uma-pep", path: "..")
    ],
    targets: [
        .target(
            name: "HTTP1Codec",
            dependencies: [.product(name: "PEPCore", package: "uma-pep")],
            path: "Sources/HTTP1Codec"),
        .target(name: "CFuzzDriver"),
        // The chunked decoder fed whole and in slices, checked by FuzzChunked and FuzzHTTP1 alike.
        .target(name: "ChunkedSlicing", dependencies: ["HTTP1Codec"]),
        .executableTarget(
            name: "FuzzHTTP1",
            dependencies: [
                "HTTP1Codec", "ChunkedSlicing", "CFuzzDriver", .product(name: "PEPCore", package: "uma-pep"),
            ]),
        .executableTarget(name: "FuzzChunked", dependencies: ["HTTP1Codec", "ChunkedSlicing", "CFuzzDriver"]),
        .executableTarget(
            name: "FuzzConfig", dependencies: ["CFuzzDriver", .product(name: "PEPCore", package: "uma-pep")]),
        .executableTarget(
            name: "FuzzProtectionMatcher",
            dependencies: ["CFuzzDriver", .product(name: "PEPCore", package: "uma-pep")]),
        // `UMAIntrospection` compiles UMAClient's introspection parser (`Sources/UMAIntrospection` is a symlink to
        // `../Sources/UMAClient/Introspection`) without the rest of UMAClient, which links libcurl.
        .target(
            name: "UMAIntrospection", dependencies: [.product(name: "PEPCore", package: "uma-pep")],
            path: "Sources/UMAIntrospection"),
        .executableTarget(
            name: "FuzzJSONAnswers",
            dependencies: ["CFuzzDriver", "UMAIntrospection", .product(name: "PEPCore", package: "uma-pep")]),
    ]
)

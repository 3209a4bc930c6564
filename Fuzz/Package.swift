// swift-tools-version:6.0
// libFuzzer harness for uma-pep's HTTP/1.1 codec and request-target canonicalizer. Build and run: README.md.
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
        .executableTarget(
            name: "FuzzHTTP1",
            dependencies: ["HTTP1Codec", "CFuzzDriver", .product(name: "PEPCore", package: "uma-pep")]),
    ]
)

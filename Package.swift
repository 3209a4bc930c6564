// swift-tools-version:6.0
// uma-pep: a UMA 2.0 Policy Enforcement Point reverse proxy.
// Layers (arrows point down only, see docs/architecture.md):
//   uma-pep (CLI) -> PEPProxy (data plane), UMAClient (control plane), DevAuthorizationServer -> PEPCore (pure)
//   C shims (CLibevent, CCurl, COpenSSL) are used only by the shells, never by PEPCore.
import PackageDescription

let package = Package(
    name: "uma-pep",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "uma-pep", targets: ["uma-pep"]),
        .library(name: "PEPCore", targets: ["PEPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C shims: module maps + tiny inline wrappers only. CSystemHeaders owns the libc headers the three
        // libraries share (see its shim.h); every shim includes it first.
        .systemLibrary(name: "CSystemHeaders", path: "Sources/CSystemHeaders"),
        .systemLibrary(
            name: "CLibevent", path: "Sources/CLibevent", pkgConfig: "libevent_openssl",
            providers: [.apt(["libevent-dev"])]),
        // No pkgConfig for libcurl: Debian's libcurl.pc adds -I/usr/include/x86_64-linux-gnu, which makes clang
        // import the multiarch system headers into this module too and clash with Glibc's (fd_set defined
        // twice, intermittently on clean builds). The module map links -lcurl; the headers are in /usr/include.
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        // hiredis 0.14 (Debian 12) + its libevent adapter: the shared second-level cache on Redis (UMAClient/Redis).
        .systemLibrary(
            name: "CHiredis", path: "Sources/CHiredis",
            providers: [.apt(["libhiredis-dev"])]),

        // Pure core: no I/O of any kind.
        .target(
            name: "PEPCore",
            dependencies: [.product(name: "Yams", package: "Yams")]),
        // Data plane: libevent loops, HTTP/1.1 codec, forwarding.
        .target(
            name: "PEPProxy",
            dependencies: [
                "PEPCore", "CSystemHeaders", "CLibevent", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Control plane: libcurl multi, oxd API, UMA 2.0 endpoints.
        .target(
            name: "UMAClient",
            dependencies: [
                "PEPCore", "CSystemHeaders", "CCurl", "CLibevent", "CHiredis", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Metrics: gluu_* parity series and uma_pep_* series, Prometheus exposition, admin endpoints.
        .target(
            name: "PEPMetrics",
            dependencies: [
                "PEPCore", "PEPProxy",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]),
        // Development authorization server (UMA 2.0 + oxd facade), served by PEPProxy's HTTP code.
        .target(
            name: "DevAuthorizationServer",
            dependencies: [
                "PEPCore", "PEPProxy", "CSystemHeaders", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Assembly: config → data plane + control plane + enforcement driver + metrics; the demo environment.
        .target(
            name: "UMAPEPRuntime",
            dependencies: [
                "PEPCore", "PEPProxy", "UMAClient", "PEPMetrics", "DevAuthorizationServer", "COpenSSL",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "uma-pep",
            dependencies: [
                "PEPCore", "PEPProxy", "UMAClient", "DevAuthorizationServer", "UMAPEPRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        .testTarget(
            name: "PEPCoreTests", dependencies: ["PEPCore"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "PEPProxyTests", dependencies: ["PEPProxy", "PEPCore"]),
        .testTarget(name: "UMAClientTests", dependencies: ["UMAClient", "PEPCore"]),
        .testTarget(name: "PEPMetricsTests", dependencies: ["PEPMetrics", "PEPProxy", "PEPCore"]),
        .testTarget(name: "UMAPEPRuntimeTests", dependencies: ["UMAPEPRuntime", "PEPProxy", "PEPCore", "COpenSSL"]),
        .testTarget(
            name: "DevAuthorizationServerTests", dependencies: ["DevAuthorizationServer", "PEPProxy", "PEPCore"]),
        .testTarget(
            name: "EndToEndTests", dependencies: ["PEPCore", "UMAPEPRuntime", "COpenSSL"],
            resources: [.copy("Fixtures")]),
    ]
)

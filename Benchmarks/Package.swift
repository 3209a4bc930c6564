// swift-tools-version:6.1
// uma-pep micro benchmarks (package-benchmark), kept out of the main package so its build stays lean.
// Run from this directory: `swift package benchmark` (see ../docs/benchmarks.md). The load harness
// (wrk + nginx anchors) lives in load/ and is run by `make bench` from the repository root.
import PackageDescription

let package = Package(
    name: "uma-pep-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "uma-pep", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The enforcement hot path's pure parts: matcher, canonicalizer, caches, state machine.
        // (The request-head parser lives in PEPProxy, which the main package does not export as a product.)
        .executableTarget(
            name: "PEPCoreBenchmarks",
            dependencies: [
                .product(name: "PEPCore", package: "uma-pep"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PEPCoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)

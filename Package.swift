// swift-tools-version: 6.1
// tracer — explains what the Linux kernel does with every packet in a capture.
import PackageDescription

// Release builds leave out the dynamic exclusivity checks of the modules a frame goes through
// (in the kernel model they were about a tenth of the per-frame instructions, measured with
// callgrind; in the wire layer and the command line, another 2%); debug builds and the tests keep them.
let uncheckedInRelease: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "tracer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tracer", targets: ["tracer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // libpcap, through a tiny header of `tracer_pcap_*` inline functions (the swift-nio way:
        // one C prefix, everything above it Swift). Debian: libpcap-dev.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // The only module that calls libpcap: read, filter, write captures.
        .target(name: "Capture", dependencies: ["CPcap", "Wire"], swiftSettings: uncheckedInRelease),
        // The wire layer: zero-copy views over frame bytes, checksums, frame builders.
        .target(name: "Wire", swiftSettings: uncheckedInRelease),
        // The host: interfaces, routes, rules, neighbours, sysctls, sockets; snapshot load/capture.
        .target(name: "HostModel", dependencies: ["Wire"]),
        // The model of the Linux kernel's network stack: one file per kernel file it mirrors.
        .target(name: "Kernel", dependencies: ["Wire", "HostModel", .product(name: "DequeModule", package: "swift-collections")],
                swiftSettings: uncheckedInRelease),
        // Linux calls Swift's Glibc does not expose (setns), for `tracer verify`.
        .systemLibrary(name: "CLinux"),
        // `tracer verify`: the model against the live kernel, in namespaces built from a snapshot.
        .target(name: "Verify", dependencies: ["CLinux", "Capture", "Wire", "HostModel", "Kernel"]),
        // The command line: subcommands, options, output formats.
        .target(name: "TracerCLI", dependencies: [
            "Capture", "Wire", "HostModel", "Kernel", "Verify",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "DequeModule", package: "swift-collections"),
        ], swiftSettings: uncheckedInRelease),
        // jemalloc (Debian: libjemalloc-dev; libjemalloc2 at run time) in place of glibc's malloc: with
        // `--jobs`, frames the model thread allocates are freed on the render threads, and glibc's
        // malloc took its arena lock for each (a tenth of both threads' time in futex waits,
        // measured); jemalloc hands them back in batches. The libpcap floor is unchanged.
        .executableTarget(name: "tracer", dependencies: ["TracerCLI"],
                          linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]),
        // Writes the synthetic fixture captures in Fixtures/captures with the project's own builders.
        .executableTarget(name: "make-fixtures", dependencies: ["Capture", "Wire"]),

        // Helpers the test targets share (package root, running programs, temporary files).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Wire", "TestSupport"]),
        .testTarget(name: "HostModelTests", dependencies: ["HostModel", "Wire", "TestSupport"]),
        .testTarget(name: "KernelTests", dependencies: ["Kernel", "Capture", "Wire", "HostModel", "Verify", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["tracer", "TracerCLI", "Capture", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
// The Backprop Workbench: an autograd engine that records every node, the expression
// language over it, Graphviz diagrams of the graph, and the `backprop` command line.
import PackageDescription

let package = Package(
    name: "BackpropWorkbench",
    platforms: [.macOS(.v15)],   // Synchronization's Atomic and Mutex (the server) need macOS 15
    products: [
        .executable(name: "backprop", targets: ["backprop"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "Expressions", targets: ["Expressions"]),
        .library(name: "Diagrams", targets: ["Diagrams"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // NumPy's .npz archives (zip, ZIP64 entries) for --values.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        // RFC 4180 reading of the class roster that `grade --roster` matches submissions against.
        .package(url: "https://github.com/swiftcsv/SwiftCSV", from: "0.10.0"),
        // `backprop serve`: the HTTP server and the SQLite store of answer attempts.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // `serve --course`: SHA-256 of sign-in codes, session ids and teacher tokens (never stored in the clear).
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        // The server's own use of what Hummingbird runs on: ByteBuffer and channels (NIOCore), the
        // request parts the connection deadlines read (NIOHTTPTypes), the server's Logger. Already in the graph
        // through hummingbird; declared because Sources/Server imports them.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // LTI 1.3 (docs/lti.md): the launch's id_token checked against the platform's JWKS, the tool's
        // client assertion signed (RS256); the platform's JWKS, token endpoint and score service over HTTPS.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // The C side of the kernels layer: cpuid, and OpenBLAS loaded with dlopen once its core is chosen
        // from the CPU's ISA (Debian's libopenblas0 at run time; see Sources/CKernels/include/ckernels.h).
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("dl")]),
        // Tensors, the recorded graph, the op table, backward, the gradient check, and the one kernels layer.
        .target(name: "Autograd", dependencies: ["CKernels"]),
        // Lexer, parser and evaluator of the expression language into an Autograd graph.
        .target(name: "Expressions", dependencies: ["Autograd"]),
        // Graphviz's own C library (libgvc), used in-process.
        .systemLibrary(
            name: "CGraphviz", pkgConfig: "libgvc",
            providers: [.apt(["libgraphviz-dev"])]),
        // Trace → DOT (annotated), DOT → SVG/PNG/PDF through libgvc, step frames, HTML stepper.
        .target(name: "Diagrams", dependencies: ["Autograd", "CGraphviz", "Support"]),
        // zlib, to read the gzipped data sets (MNIST's IDX files, the digits CSV).
        .systemLibrary(name: "SystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Data sets: IDX and CSV readers (gzipped or not), seeded mini-batches.
        .target(name: "Datasets", dependencies: ["SystemZlib"]),
        // Layers and models: shapes, parameter counts, and training of fully connected models on Autograd.
        .target(name: "NeuralNetworks", dependencies: ["Autograd", "Datasets"]),
        // What the tool's upper modules share: one Diagnostic for every error (the engine's included),
        // atomic output files, size-limited input files, TOML reading with positions, JSON, edit distance.
        .target(name: "Support", dependencies: [
            "Autograd", "Expressions", "Datasets",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // A program run at a point (trace job), its table and JSON report, and claims about its gradients.
        .target(name: "Claims", dependencies: ["Autograd", "Expressions", "Datasets", "Support",
                                               .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // Model files (TOML), saved models (JSON), the shipped training data and training progress.
        .target(name: "ModelFiles", dependencies: ["Autograd", "NeuralNetworks", "Datasets", "Support",
                                                  .product(name: "TOMLKit", package: "TOMLKit")]),
        // Lesson files, their runs (steps, checks, model lessons) and the library of lessons.
        .target(name: "Lessons", dependencies: ["Autograd", "Expressions", "Datasets", "NeuralNetworks", "Claims", "ModelFiles", "Support",
                                                .product(name: "TOMLKit", package: "TOMLKit")]),
        // Exercise sets and sheets, answer files, grades and the gradebook.
        .target(name: "Grading", dependencies: ["Autograd", "Expressions", "Datasets", "NeuralNetworks", "ModelFiles", "Diagrams",
                                                "Lessons", "Claims", "Support",
                                                .product(name: "TOMLKit", package: "TOMLKit"),
                                                .product(name: "SwiftCSV", package: "SwiftCSV"),
                                                .product(name: "Crypto", package: "swift-crypto")]),   // HMAC of the variants
        // Pages: the lesson as a web page, printing through headless Chromium, the course as a site.
        .target(name: "Pages", dependencies: ["Autograd", "Grading", "Lessons", "Claims", "Diagrams", "Support"]),
        // LTI 1.3, the tool side (docs/lti.md): login state and nonces, the id_token's checks, the platform's
        // JWKS, the tool's key, and scores posted to the platform's line items (Assignment and Grade Services).
        .target(name: "LTI", dependencies: [
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // `backprop serve`: the playground, lessons, exercises and the teacher's view over HTTP (Hummingbird),
        // every answer attempt stored in SQLite (GRDB).
        .target(name: "Server", dependencies: [
            "Support", "Claims", "Lessons", "Grading", "Pages", "Autograd", "Expressions", "Diagrams",
            "LTI",        // LTI 1.3 launches and scores (LTIRoutes.swift, CourseFile+LTI.swift)
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "TOMLKit", package: "TOMLKit"),   // the course file (CourseFile.swift)
        ]),
        // Every `bench` workload; the command line only prints them.
        .target(name: "Benchmarks", dependencies: ["Grading", "Lessons", "Claims", "ModelFiles", "Diagrams", "Support",
                                                    "Expressions", "Autograd", "Datasets", "NeuralNetworks"]),
        // The thin executable: argument parsing, one library call, printing.
        .executableTarget(name: "backprop", dependencies: [
            "Server", "Support", "Claims", "ModelFiles", "Lessons", "Grading", "Pages", "Benchmarks",
            "Autograd", "Expressions", "Diagrams", "NeuralNetworks", "Datasets",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The fuzz targets (Fuzz/, docs/reliability.md): libFuzzer's entry with -DFUZZING, a corpus replayer without.
        .executableTarget(name: "FuzzTargets", dependencies: ["Server", "Support", "Claims", "ModelFiles", "Lessons", "Grading", "Autograd", "Expressions", "NeuralNetworks", "Datasets"],
                          path: "Fuzz/Sources"),
        .target(name: "TestSupport", dependencies: ["Autograd"], path: "Tests/TestSupport"),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "TestSupport"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "Autograd", "TestSupport"], exclude: ["Corpus", "TorchReference"]),
        .testTarget(name: "DiagramsTests", dependencies: ["Diagrams", "Autograd", "Expressions", "Support", "Claims", "ModelFiles", "Lessons", "Grading", "TestSupport"],
                    exclude: ["Goldens"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "Datasets", "Autograd"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], exclude: ["Goldens", "Fixtures"]),
        .testTarget(name: "SupportTests", dependencies: ["Support", "Autograd", "Expressions", "Datasets", "Benchmarks"]),
        .testTarget(name: "ClaimsTests", dependencies: ["Claims", "Support", "Autograd", "Expressions"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "Support", "NeuralNetworks", "Datasets", "Lessons", "Grading", "Claims", "Diagrams", "TestSupport"]),
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Support", "Autograd", "Grading", "Claims", "ModelFiles", "Diagrams", "TestSupport"]),
        .testTarget(name: "PagesTests", dependencies: ["Pages", "Support", "Autograd", "Grading", "Lessons", "Claims", "ModelFiles", "Diagrams", "TestSupport"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Support", "Autograd", "Expressions", "Lessons", "Claims", "ModelFiles", "Diagrams", "TestSupport"]),
        // Builds and runs Examples/LibraryDemo, a separate package that depends on this one by path.
        .testTarget(name: "LibraryTests"),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Benchmarks", "TestSupport", "Grading", "Lessons", "Autograd",
                                                       // In-process route tests: `app.test(.router)`, no socket.
                                                       .product(name: "Hummingbird", package: "hummingbird"),
                                                       .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                       .product(name: "HTTPTypes", package: "swift-http-types"),
                                                       .product(name: "GRDB", package: "GRDB.swift"),
                                                       .product(name: "Crypto", package: "swift-crypto"),
                                                       // The LTI platform simulator (LTITests): its own RSA key, JWKS and token endpoint.
                                                       "LTI",
                                                       .product(name: "JWTKit", package: "jwt-kit"),
                                                       .product(name: "CryptoExtras", package: "swift-crypto")]),
    ]
)

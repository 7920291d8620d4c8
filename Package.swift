// swift-tools-version:6.0
// The Backprop Workbench: an autograd engine that records every node, the expression
// language over it, Graphviz diagrams of the graph, and the `backprop` command line.
import PackageDescription

let package = Package(
    name: "BackpropWorkbench",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "backprop", targets: ["backprop"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "Expressions", targets: ["Expressions"]),
        .library(name: "Diagrams", targets: ["Diagrams"]),
        .library(name: "Datasets", targets: ["Datasets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // OpenBLAS's CBLAS, for the matrix products of tensors (training's heavy work).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // Tensors, the recorded graph, the op table, backward and the gradient check.
        .target(name: "Autograd", dependencies: ["CBLAS"], swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // Lexer, parser and evaluator of the expression language into an Autograd graph.
        .target(name: "Expressions", dependencies: ["Autograd"]),
        // Graphviz's own C library (libgvc), used in-process.
        .systemLibrary(
            name: "CGraphviz", pkgConfig: "libgvc",
            providers: [.apt(["libgraphviz-dev"])]),
        // Trace → DOT (annotated), DOT → SVG/PNG/PDF through libgvc, step frames, HTML stepper.
        .target(name: "Diagrams", dependencies: ["Autograd", "CGraphviz"]),
        // zlib, to read the gzipped data sets (MNIST's IDX files, the digits CSV).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Data sets: IDX and CSV readers (gzipped or not), seeded mini-batches.
        .target(name: "Datasets", dependencies: ["CZlib"]),
        // Layers and models: shapes, parameter counts, and training of fully connected models on Autograd.
        // -fno-math-errno lets the optimizers' square roots vectorize (Adam's step 4.5× faster, Optimizer.swift).
        .target(name: "NeuralNetworks", dependencies: ["Autograd", "Datasets", "CBLAS"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-fno-math-errno"]),
                                .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // What the commands share: trace reports, lessons, benchmarks, atomic output.
        .target(name: "Workbench", dependencies: [
            "Autograd", "Expressions", "Diagrams", "NeuralNetworks", "Datasets",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // The thin executable: argument parsing and printing only.
        .executableTarget(name: "backprop", dependencies: [
            "Workbench", "Autograd", "Expressions", "Diagrams", "NeuralNetworks", "Datasets",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The fuzz targets (Fuzz/, docs/reliability.md): libFuzzer's entry with -DFUZZING, a corpus replayer without.
        .executableTarget(name: "FuzzTargets", dependencies: ["Workbench", "Autograd", "Expressions", "NeuralNetworks", "Datasets"],
                          path: "Fuzz/Sources"),
        .target(name: "TestSupport", dependencies: ["Autograd"], path: "Tests/TestSupport"),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "TestSupport"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "TestSupport"], exclude: ["Corpus"]),
        .testTarget(name: "DiagramsTests", dependencies: ["Diagrams", "Expressions", "TestSupport"],
                    exclude: ["Goldens"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "Datasets"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], exclude: ["Goldens"]),
        .testTarget(name: "WorkbenchTests", dependencies: ["Workbench", "TestSupport"]),
    ]
)

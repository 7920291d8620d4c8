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
        .library(name: "NeuralNetworks", targets: ["NeuralNetworks"]),
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
        .target(name: "Diagrams", dependencies: ["Autograd", "CGraphviz", "Support"]),
        // zlib, to read the gzipped data sets (MNIST's IDX files, the digits CSV).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Data sets: IDX and CSV readers (gzipped or not), seeded mini-batches.
        .target(name: "Datasets", dependencies: ["CZlib"]),
        // Layers and models: shapes, parameter counts, and training of fully connected models on Autograd.
        // -fno-math-errno lets the optimizers' square roots vectorize (Adam's step 4.5× faster, Optimizer.swift).
        .target(name: "NeuralNetworks", dependencies: ["Autograd", "Datasets", "CBLAS"],
                swiftSettings: [.unsafeFlags(["-Xcc", "-fno-math-errno"]),
                                .unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        // What the tool's upper modules share: one Diagnostic for every error (the engine's included),
        // atomic output files, size-limited input files, TOML reading with positions, JSON, edit distance.
        .target(name: "Support", dependencies: [
            "Autograd", "Expressions", "Datasets",
            .product(name: "TOMLKit", package: "TOMLKit"),
        ]),
        // A program run at a point (trace job), its table and JSON report, and claims about its gradients.
        .target(name: "Claims", dependencies: ["Autograd", "Expressions", "Support"]),
        // Model files (TOML), saved models (JSON), the shipped training data and training progress.
        .target(name: "ModelFiles", dependencies: ["NeuralNetworks", "Datasets", "Support"]),
        // Lesson files, their runs (steps, checks, model lessons) and the library of lessons.
        .target(name: "Lessons", dependencies: ["Claims", "Diagrams", "ModelFiles", "Support"]),
        // Exercise sets and sheets, answer files, grades and the gradebook.
        .target(name: "Grading", dependencies: ["Lessons", "Claims", "Support"]),
        // Every `bench` workload; the command line only prints them.
        .target(name: "Benchmarks", dependencies: ["Grading", "Lessons", "Diagrams", "Expressions", "Datasets"]),
        // The thin executable: argument parsing, one library call, printing.
        .executableTarget(name: "backprop", dependencies: [
            "Support", "Claims", "ModelFiles", "Lessons", "Grading", "Benchmarks",
            "Autograd", "Expressions", "Diagrams", "NeuralNetworks", "Datasets",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", dependencies: ["Autograd"], path: "Tests/TestSupport"),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "TestSupport"]),
        .testTarget(name: "ExpressionsTests", dependencies: ["Expressions", "TestSupport"], exclude: ["Corpus"]),
        .testTarget(name: "DiagramsTests", dependencies: ["Diagrams", "Expressions", "Support", "Claims", "ModelFiles", "Lessons", "Grading", "TestSupport"],
                    exclude: ["Goldens"]),
        .testTarget(name: "NeuralNetworksTests", dependencies: ["NeuralNetworks", "Datasets", "Autograd"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport"], exclude: ["Goldens"]),
        .testTarget(name: "SupportTests", dependencies: ["Support", "Autograd", "Expressions", "Datasets"]),
        .testTarget(name: "ClaimsTests", dependencies: ["Claims", "Support", "Autograd"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "NeuralNetworks", "Datasets", "Lessons", "Grading", "Claims", "Diagrams", "TestSupport"]),
        .testTarget(name: "LessonsTests", dependencies: ["Lessons", "Grading", "Claims", "ModelFiles", "Diagrams", "TestSupport"]),
        .testTarget(name: "GradingTests", dependencies: ["Grading", "Lessons", "Claims", "ModelFiles", "Diagrams", "TestSupport"]),
        // Builds and runs Examples/LibraryDemo, a separate package that depends on this one by path.
        .testTarget(name: "LibraryTests"),
    ]
)

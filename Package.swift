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
        .target(name: "Diagrams", dependencies: ["Autograd", "CGraphviz"]),
        // zlib, to read the gzipped data sets (MNIST's IDX files, the digits CSV).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Data sets: IDX and CSV readers (gzipped or not), seeded mini-batches.
        .target(name: "Datasets", dependencies: ["CZlib"]),
        // Layers and models: shapes, parameter counts, and training of fully connected models on Autograd.
        .target(name: "NeuralNetworks", dependencies: ["Autograd", "Datasets"]),
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

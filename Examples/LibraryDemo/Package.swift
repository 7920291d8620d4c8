// swift-tools-version:6.0
// The examples of docs/library.md, as a Swift user would write them: a separate package that
// depends on the workbench's libraries. Tests/LibraryTests builds and runs it.
import PackageDescription

let package = Package(
    name: "LibraryDemo",
    platforms: [.macOS(.v15)],   // the workbench's own (its Package.swift, docs/library.md)
    dependencies: [
        // By path, from this checkout (the workbench is not published at a URL yet).
        .package(name: "BackpropWorkbench", path: "../.."),
    ],
    targets: [
        // f = (x + y) z at (-2, 5, -4), its value and three gradients.
        .executableTarget(name: "SumTimes", dependencies: [
            .product(name: "Autograd", package: "BackpropWorkbench"),
        ]),
        // micrograd's demo: an MLP 2-16-16-1 trained with SGD on two moons.
        .executableTarget(name: "MicrogradDemo", dependencies: [
            .product(name: "Autograd", package: "BackpropWorkbench"),
            .product(name: "NeuralNetworks", package: "BackpropWorkbench"),
            .product(name: "Datasets", package: "BackpropWorkbench"),
        ]),
    ]
)

import Autograd
import Datasets
import Foundation
import NeuralNetworks

// micrograd's demo: a 2-16-16-1 MLP learns to separate two moons, with micrograd's SVM
// max-margin loss, its L2 penalty, and SGD with its learning-rate decay (from 0.3, not 1).
let moons = Datasets.twoMoons(count: 100, noise: 0.1, seed: 1)
let points = (0..<moons.count).map { i in [Double(moons.features[2 * i]), Double(moons.features[2 * i + 1])] }
let labels = moons.labels.map { $0 == 1 ? 1.0 : -1.0 }

let model = MLP(inputCount: 2, layerSizes: [16, 16, 1], activation: .relu, seed: 1337)
var sgd = SGD(parameters: model.parameters, learningRate: 0.3)
print("MLP 2-16-16-1 with \(model.parameters.count) parameters, \(points.count) points")

for step in 0..<20 {
    // A graph runs backward once: each step records into a fresh one.
    let graph = Graph()
    var margins: [Variable] = []
    var correct = 0
    for (point, label) in zip(points, labels) {
        let score = model(point.map { Variable(constant: $0, in: graph) })[0]
        margins.append((1 - label * score).relu())
        if (score.value.scalar > 0) == (label > 0) { correct += 1 }
    }
    let dataLoss = margins.sum() / Double(margins.count)
    let penalty = 1e-4 * model.parameters.map { p in p.variable(in: graph) * p.variable(in: graph) }.sum()
    let loss = dataLoss + penalty

    try loss.backward()
    sgd.learningRate = 0.3 * (1 - 0.9 * Double(step) / 100)
    sgd.step()
    print("step \(step) loss \(String(format: "%.4f", loss.value.scalar)), accuracy \(correct * 100 / points.count)%")
}

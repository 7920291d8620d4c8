import Autograd
import Foundation
import Support
import Claims
import ModelFiles
import Lessons
import Grading
import Diagrams

/// The engine benchmark behind `backprop bench engine`: how fast the graph records and
/// differentiates scalar nodes, and how long one training step of micrograd's demo takes.
///
/// Two workloads:
/// - `chain(length:)`: one long chain of scalar operations from one input, then backward.
///   Measures recording speed (nodes per second) and memory (bytes per node).
/// - `microgradDemoStep()`: the training step of micrograd's `demo.ipynb` at scalar granularity,
///   node for node as `/work/shared/anchors/bench_micrograd.py` runs it on micrograd 0.1.0:
///   MLP(2, [16, 16, 1]) with micrograd's seeded weights, 100 two-moons points, SVM max-margin
///   loss + 1e-4·L2, forward + backward + SGD update with the notebook's learning-rate schedule.
///
/// ```swift
/// let report = try EngineBenchmark().run()
/// print(report.render())
/// // chain 1,000,000 ops (mul 0.9999, add 0.00001, tanh): build 30 ms, backward 9.5 ms (median of 5; ...
/// ```
public struct EngineBenchmark: Sendable {
    /// How many times each chain is built and differentiated; the report gives the median and the best.
    public var chainRepeats: Int
    /// Steps of the demo that are run but not timed (micrograd's anchor uses 2).
    public var demoWarmupSteps: Int
    /// Timed steps of the demo; the report gives the median.
    public var demoTimedSteps: Int

    /// A benchmark with the given repetitions.
    public init(chainRepeats: Int = 5, demoWarmupSteps: Int = 2, demoTimedSteps: Int = 50) {
        self.chainRepeats = max(1, chainRepeats)
        self.demoWarmupSteps = max(0, demoWarmupSteps)
        self.demoTimedSteps = max(1, demoTimedSteps)
    }

    // MARK: - Results

    /// Which chain to build.
    public enum ChainStyle: String, Sendable {
        /// The workbench's chain: `x * 0.9999`, `+ 0.00001`, `tanh`, in turn, against two constants.
        ///
        /// The constants keep every value and gradient a normal double: with `0.999` and `0.001`
        /// the gradient decays to the smallest subnormal after ~107,000 nodes and stays there, and
        /// the remaining ~890,000 backward steps measured the CPU's subnormal arithmetic (6× slower)
        /// instead of the engine.
        case workbench
        /// micrograd's anchor chain: `x * w`, `+ b`, `relu`, in turn, where `w` and `b` are leaves
        /// that receive gradients (bench_micrograd.py's `bench_chain`, 100,000 ops there).
        case micrograd
    }

    /// The figures of one chain workload. The graph reserves the chain's length up front, so the
    /// bytes per node are the arena's real footprint rather than a growth factor.
    public struct ChainResult: Sendable {
        /// Which chain was built.
        public let style: ChainStyle
        /// The number of operations in the chain.
        public let length: Int
        /// Every node the graph recorded (the operations plus the leaves).
        public let recordedNodes: Int
        /// Wall-clock seconds of each build (graph creation, reservation and recording).
        public let buildSeconds: [Double]
        /// Wall-clock seconds of each backward.
        public let backwardSeconds: [Double]
        /// `Graph.bytesPerNode` after backward (the arena including gradients).
        public let bytesPerNode: Double
        /// The chain's output value and ∂output/∂input, to show the work was done.
        public let output: Double, inputGradient: Double

        /// Median build time in seconds.
        public var medianBuild: Double { EngineBenchmark.median(buildSeconds) }
        /// Median backward time in seconds.
        public var medianBackward: Double { EngineBenchmark.median(backwardSeconds) }
        /// Median of build + backward, run by run.
        public var medianTotal: Double { EngineBenchmark.median(zip(buildSeconds, backwardSeconds).map { $0 + $1 }) }
        /// Recorded nodes per second of build (median run).
        public var nodesPerSecondRecorded: Double { Double(recordedNodes) / medianBuild }
        /// Recorded nodes per second of build + backward (median run).
        public var nodesPerSecondTotal: Double { Double(recordedNodes) / medianTotal }

        /// One line, e.g. `chain 1,000,000 ops (mul, add, tanh): build 45 ms, backward 20 ms, ...`.
        public func render() -> String {
            let ops = style == .workbench ? "mul 0.9999, add 0.00001, tanh" : "mul w, add b, relu"
            return "chain \(EngineBenchmark.grouped(length)) ops (\(ops)): "
                + "build \(EngineBenchmark.ms(medianBuild)) ms, backward \(EngineBenchmark.ms(medianBackward)) ms "
                + "(median of \(buildSeconds.count); best \(EngineBenchmark.ms(buildSeconds.min() ?? 0)) / "
                + "\(EngineBenchmark.ms(backwardSeconds.min() ?? 0)) ms), "
                + "\(EngineBenchmark.millions(nodesPerSecondRecorded)) M nodes/s recorded, "
                + "\(EngineBenchmark.millions(nodesPerSecondTotal)) M nodes/s build+backward, "
                + "\(String(format: "%.1f", bytesPerNode)) bytes/node"
        }
    }

    /// The figures of micrograd's demo training step.
    public struct DemoResult: Sendable {
        /// Whether every step cleared and reused one graph instead of building a fresh one.
        public let reusesGraph: Bool
        /// The number of parameters (337 for MLP 2-16-16-1).
        public let parameterCount: Int
        /// Nodes the graph records per step (parameters, inputs, constants and operations).
        public let nodesPerStep: Int
        /// Of those, the nodes micrograd creates per step (its parameters persist across steps).
        public let microgradNodesPerStep: Int
        /// Wall-clock seconds of each timed step, and of its three parts.
        public let stepSeconds: [Double], forwardSeconds: [Double], backwardSeconds: [Double], updateSeconds: [Double]
        /// The loss and accuracy computed at every step, warm-up steps included (before the update).
        public let losses: [Double], accuracies: [Double]

        /// Median step time in seconds, and of each part: forward (recording), backward, update.
        public var medianStep: Double { EngineBenchmark.median(stepSeconds) }
        public var medianForward: Double { EngineBenchmark.median(forwardSeconds) }
        public var medianBackward: Double { EngineBenchmark.median(backwardSeconds) }
        public var medianUpdate: Double { EngineBenchmark.median(updateSeconds) }

        /// Two lines: the time per step and the loss going down.
        public func render() -> String {
            "micrograd demo step (MLP 2-16-16-1, \(parameterCount) parameters, 100 two-moons points, SVM loss + L2, SGD, "
                + "\(reusesGraph ? "one graph cleared each step" : "fresh graph each step")): "
                + "\(String(format: "%.2f", medianStep * 1e3)) ms per step (median of \(stepSeconds.count); "
                + "forward \(String(format: "%.2f", medianForward * 1e3)), "
                + "backward \(String(format: "%.2f", medianBackward * 1e3)), "
                + "update \(String(format: "%.3f", medianUpdate * 1e3)) ms), "
                + "\(EngineBenchmark.grouped(nodesPerStep)) nodes per step "
                + "(\(EngineBenchmark.grouped(microgradNodesPerStep)) as micrograd counts them), "
                + "\(EngineBenchmark.millions(Double(nodesPerStep) / medianStep)) M nodes/s\n"
                + "  training: loss \(String(format: "%.4f", losses.first ?? .nan)) at step 1 → "
                + "\(String(format: "%.4f", losses.last ?? .nan)) at step \(losses.count), "
                + "accuracy \(Int((accuracies.first ?? 0) * 100))% → \(Int((accuracies.last ?? 0) * 100))%"
        }
    }

    /// Everything `backprop bench engine` prints.
    public struct Report: Sendable {
        /// The chains run, in order.
        public let chains: [ChainResult]
        /// The demo step, with a fresh graph each step and then with one graph reused.
        public let demos: [DemoResult]

        /// One line per chain, then the demos' lines.
        public func render() -> String {
            (chains.map { $0.render() } + demos.map { $0.render() }).joined(separator: "\n")
        }
    }

    /// Runs the workbench's million-op chain, micrograd's 100,000-op chain, and the demo step
    /// with a fresh graph per step and with one reused graph.
    public func run() throws(AutogradError) -> Report {
        let chains = [try chain(length: 1_000_000), try chain(length: 100_000, style: .micrograd)]
        return Report(chains: chains, demos: [try microgradDemoStep(), try microgradDemoStep(reusingGraph: true)])
    }

    // MARK: - The chain

    /// Builds a chain of `length` scalar operations from one input — multiply, add, nonlinearity,
    /// in turn — then runs backward, `chainRepeats` times on a fresh graph each time.
    ///
    /// The graph reserves room for the whole chain first, as a caller who knows the size would.
    /// - Parameter style: `.workbench` (mul/add by constants, tanh) or `.micrograd` (mul/add by
    ///   two gradient-receiving leaves, relu), the anchor's chain.
    public func chain(length: Int = 1_000_000, style: ChainStyle = .workbench) throws(AutogradError) -> ChainResult {
        var builds: [Double] = [], backwards: [Double] = []
        var recorded = 0, bytes = 0.0, output = 0.0, gradient = 0.0
        let nonlinearity: Autograd.Operation = style == .workbench ? .tanh : .relu
        for _ in 0..<chainRepeats {
            let start = Self.now()
            let graph = Graph()
            graph.reserveCapacity(length + 3)
            let x0 = graph.input("x", 0.5)
            let w: NodeID, b: NodeID
            if style == .workbench {
                w = graph.constant(0.9999); b = graph.constant(0.000_01)
            } else {
                w = graph.input("w", 0.999); b = graph.input("b", 0.001)
            }
            var x = x0
            for i in 0..<length {
                switch i % 3 {
                case 0: x = try graph.apply(.multiply, x, w)
                case 1: x = try graph.apply(.add, x, b)
                default: x = try graph.apply(nonlinearity, x)
                }
            }
            let built = Self.now()
            try graph.backward(from: x)
            let done = Self.now()
            builds.append(built - start)
            backwards.append(done - built)
            recorded = graph.count
            bytes = graph.bytesPerNode
            output = graph.scalarValue(of: x)
            gradient = graph.gradient(of: x0)?.scalar ?? 0
        }
        return ChainResult(style: style, length: length, recordedNodes: recorded, buildSeconds: builds,
                           backwardSeconds: backwards, bytesPerNode: bytes, output: output, inputGradient: gradient)
    }

    // MARK: - micrograd's demo step

    /// Trains micrograd's demo MLP for `demoWarmupSteps + demoTimedSteps` steps and times the
    /// timed ones. The parameters live outside the graph as `[Double]` and enter every step as
    /// `graph.parameter`, exactly as micrograd's `Value`s enter each forward.
    /// - Parameter reusingGraph: false builds a fresh `Graph` every step, as micrograd builds fresh
    ///   `Value`s; true clears one graph with `removeAll(keepingCapacity: true)` and records into
    ///   the memory of the previous step.
    ///
    /// The operations are micrograd's, in micrograd's order, including the constants its Python
    /// operators create (`-y * score` is `score * Value(-y)`, `sum(xs)` starts from `0 + xs[0]`),
    /// so the graph has the nodes micrograd builds plus the 337 parameter leaves.
    public func microgradDemoStep(reusingGraph: Bool = false) throws(AutogradError) -> DemoResult {
        let data = TwoMoons(samples: 100, noise: 0.1, seed: 1337)
        var model = DemoMLP(sizes: [2, 16, 16, 1], seed: 1337)
        let totalSteps = demoWarmupSteps + demoTimedSteps
        var steps: [Double] = [], forwards: [Double] = [], backwards: [Double] = [], updates: [Double] = []
        var losses: [Double] = [], accuracies: [Double] = []
        var nodes = 0
        var graph = Graph()
        for k in 0..<totalSteps {
            let start = Self.now()
            if reusingGraph { graph.removeAll(keepingCapacity: true) } else { graph = Graph() }
            let (loss, accuracy, parameterNodes) = try model.loss(on: data, in: graph)
            let built = Self.now()
            try graph.backward(from: loss)
            let differentiated = Self.now()
            let learningRate = 1.0 - 0.9 * Double(k) / 100
            for (index, node) in parameterNodes.enumerated() {
                model.parameters[index] -= learningRate * (graph.gradient(of: node)?.scalar ?? 0)
            }
            let done = Self.now()
            losses.append(graph.scalarValue(of: loss))
            accuracies.append(accuracy)
            nodes = graph.count
            if k >= demoWarmupSteps {
                steps.append(done - start)
                forwards.append(built - start)
                backwards.append(differentiated - built)
                updates.append(done - differentiated)
            }
        }
        return DemoResult(reusesGraph: reusingGraph, parameterCount: model.parameters.count, nodesPerStep: nodes,
                          microgradNodesPerStep: nodes - model.parameters.count,
                          stepSeconds: steps, forwardSeconds: forwards, backwardSeconds: backwards,
                          updateSeconds: updates, losses: losses, accuracies: accuracies)
    }

    // MARK: - Helpers

    static func now() -> Double {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
    private static let start = ContinuousClock.now

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func ms(_ seconds: Double) -> String {
        let value = seconds * 1e3
        return value >= 10 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    static func millions(_ perSecond: Double) -> String { String(format: "%.1f", perSecond / 1e6) }

    /// An integer with thousands separators: `1,000,000`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return (value < 0 ? "-" : "") + result
    }
}

// MARK: - micrograd's model and data, reproduced number for number

extension EngineBenchmark {
    /// micrograd's `MLP(2, [16, 16, 1])`: relu on hidden layers, a linear output, weights drawn with
    /// Python's `random.uniform(-1, 1)` after `random.seed(1337)`, biases 0, parameters in
    /// micrograd's order (layer by layer, neuron by neuron, weights then bias).
    struct DemoMLP {
        let sizes: [Int]
        var parameters: [Double] = []
        /// Names for the input leaves of every sample, made once (`x3.0`, `x3.1`).
        private var inputNames: [[String]] = []

        init(sizes: [Int], seed: UInt32) {
            self.sizes = sizes
            var random = MersenneTwister(pythonSeed: seed)
            for layer in 0..<(sizes.count - 1) {
                for _ in 0..<sizes[layer + 1] {
                    for _ in 0..<sizes[layer] { parameters.append(-1 + 2 * random.nextDouble()) }   // random.uniform(-1, 1)
                    parameters.append(0)   // Value(0)
                }
            }
        }

        /// Records the notebook's `loss()` in `graph`: SVM max-margin data loss plus 1e-4·L2, and the accuracy.
        mutating func loss(on data: TwoMoons, in graph: Graph) throws(AutogradError)
            -> (loss: NodeID, accuracy: Double, parameterNodes: [NodeID]) {
            let sampleCount = data.points.count
            if inputNames.count != sampleCount {
                inputNames = (0..<sampleCount).map { i in (0..<sizes[0]).map { "x\(i).\($0)" } }
            }
            let parameterNodes = parameters.map { graph.parameter(nil, Tensor(scalar: $0)) }
            var scores: [NodeID] = []
            scores.reserveCapacity(sampleCount)
            for (i, point) in data.points.enumerated() {
                // inputs = [list(map(Value, xrow)) for xrow in X]
                var activations = point.enumerated().map { graph.input(inputNames[i][$0], $1) }
                var p = 0
                for layer in 0..<(sizes.count - 1) {
                    let last = layer == sizes.count - 2
                    var next: [NodeID] = []
                    next.reserveCapacity(sizes[layer + 1])
                    for _ in 0..<sizes[layer + 1] {
                        // sum((wi*xi for wi, xi in zip(self.w, x)), self.b): b + w0*x0 + w1*x1 + ...
                        let bias = parameterNodes[p + sizes[layer]]
                        var act = bias
                        for (j, x) in activations.enumerated() {
                            let product = try graph.apply(.multiply, parameterNodes[p + j], x)
                            act = try graph.apply(.add, act, product)
                        }
                        p += sizes[layer] + 1
                        next.append(last ? act : try graph.apply(.relu, act))
                    }
                    activations = next
                }
                scores.append(activations[0])
            }
            // losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(y, scores)]
            var losses: [NodeID] = []
            losses.reserveCapacity(sampleCount)
            for (score, label) in zip(scores, data.labels) {
                let margin = try graph.apply(.multiply, score, graph.constant(-label))
                let shifted = try graph.apply(.add, margin, graph.constant(1))
                losses.append(try graph.apply(.relu, shifted))
            }
            // data_loss = sum(losses) * (1.0 / len(losses))
            var sum = try graph.apply(.add, losses[0], graph.constant(0))
            for loss in losses.dropFirst() { sum = try graph.apply(.add, sum, loss) }
            let dataLoss = try graph.apply(.multiply, sum, graph.constant(1.0 / Double(sampleCount)))
            // reg_loss = alpha * sum((p * p for p in model.parameters()))
            var squares = try graph.apply(.add, try graph.apply(.multiply, parameterNodes[0], parameterNodes[0]), graph.constant(0))
            for node in parameterNodes.dropFirst() {
                squares = try graph.apply(.add, squares, try graph.apply(.multiply, node, node))
            }
            let regLoss = try graph.apply(.multiply, squares, graph.constant(1e-4))
            let total = try graph.apply(.add, dataLoss, regLoss)
            // accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
            let correct = zip(scores, data.labels).filter { (graph.scalarValue(of: $0) > 0) == ($1 > 0) }.count
            return (total, Double(correct) / Double(sampleCount), parameterNodes)
        }
    }

    /// `sklearn.datasets.make_moons(n_samples, noise, shuffle=True, random_state=seed)` as
    /// bench_micrograd.py re-implements it with `numpy.random.RandomState(seed)`: two interleaved
    /// half circles, shuffled by `permutation`, plus Gaussian noise from the legacy polar method.
    /// Labels are ±1 (`y * 2 - 1`).
    struct TwoMoons {
        let points: [[Double]]
        let labels: [Double]

        init(samples: Int, noise: Double, seed: UInt32) {
            var random = MersenneTwister(numpySeed: seed)
            let outerCount = samples / 2, innerCount = samples - outerCount
            // np.linspace(0, pi, n): i * (pi / (n - 1)), the last one exactly pi.
            func linspace(_ n: Int) -> [Double] {
                (0..<n).map { i in i == n - 1 ? Double.pi : Double(i) * (Double.pi / Double(n - 1)) }
            }
            var xs = linspace(outerCount).map { Foundation.cos($0) } + linspace(innerCount).map { 1 - Foundation.cos($0) }
            var ys = linspace(outerCount).map { Foundation.sin($0) } + linspace(innerCount).map { 1 - Foundation.sin($0) - 0.5 }
            var labels = [Double](repeating: -1, count: outerCount) + [Double](repeating: 1, count: innerCount)
            // idx = rng.permutation(n): RandomState.shuffle of arange(n), Fisher–Yates from the end.
            var order = Array(0..<samples)
            for i in stride(from: samples - 1, to: 0, by: -1) {
                order.swapAt(i, random.nextInterval(UInt32(i)))
            }
            xs = order.map { xs[$0] }; ys = order.map { ys[$0] }; labels = order.map { labels[$0] }
            // X + rng.normal(scale=noise, size=X.shape), row-major: x then y of each point.
            var points: [[Double]] = []
            for i in 0..<samples {
                let dx = noise * random.nextGaussian()
                let dy = noise * random.nextGaussian()
                points.append([xs[i] + dx, ys[i] + dy])
            }
            self.points = points
            self.labels = labels
        }
    }

    /// MT19937, the generator behind both Python's `random` and NumPy's legacy `RandomState`,
    /// with each one's seeding and the few draws the demo needs.
    struct MersenneTwister {
        private var state = [UInt32](repeating: 0, count: 624)
        private var position = 624
        private var cachedGaussian: Double?

        /// NumPy's `RandomState(seed)` (`init_genrand`).
        init(numpySeed seed: UInt32) { initialize(seed) }

        /// Python's `random.seed(seed)` for a non-negative integer below 2³² (`init_by_array([seed])`).
        init(pythonSeed seed: UInt32) {
            initialize(19_650_218)
            let key = [seed]
            var i = 1, j = 0
            for _ in 0..<max(624, key.count) {
                state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
                i += 1; j += 1
                if i >= 624 { state[0] = state[623]; i = 1 }
                if j >= key.count { j = 0 }
            }
            for _ in 0..<623 {
                state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
                i += 1
                if i >= 624 { state[0] = state[623]; i = 1 }
            }
            state[0] = 0x8000_0000
        }

        private mutating func initialize(_ seed: UInt32) {
            state[0] = seed
            for i in 1..<624 { state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i) }
            position = 624
        }

        mutating func next() -> UInt32 {
            if position >= 624 {
                for i in 0..<624 {
                    let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7fff_ffff)
                    state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_b0df)
                }
                position = 0
            }
            var y = state[position]
            position += 1
            y ^= y >> 11
            y ^= (y << 7) & 0x9d2c_5680
            y ^= (y << 15) & 0xefc6_0000
            y ^= y >> 18
            return y
        }

        /// A double in [0, 1) from 53 random bits (Python's `random()`, NumPy's legacy `random_sample`).
        mutating func nextDouble() -> Double {
            let a = Double(next() >> 5), b = Double(next() >> 6)
            return (a * 67_108_864 + b) / 9_007_199_254_740_992
        }

        /// An integer in 0...max (NumPy's `random_interval`: masked rejection sampling).
        mutating func nextInterval(_ max: UInt32) -> Int {
            if max == 0 { return 0 }
            var mask = max
            mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
            while true {
                let value = next() & mask
                if value <= max { return Int(value) }
            }
        }

        /// A standard normal draw by NumPy's legacy polar method, which makes two and caches one.
        mutating func nextGaussian() -> Double {
            if let cached = cachedGaussian { cachedGaussian = nil; return cached }
            var x1 = 0.0, x2 = 0.0, r2 = 0.0
            repeat {
                x1 = 2 * nextDouble() - 1
                x2 = 2 * nextDouble() - 1
                r2 = x1 * x1 + x2 * x2
            } while r2 >= 1 || r2 == 0
            let f = (-2 * Foundation.log(r2) / r2).squareRoot()
            cachedGaussian = f * x1
            return f * x2
        }
    }
}

import Foundation

/// Examples with features and a class label each: what training and evaluation read.
public struct LabeledData: Sendable {
    /// The features, row-major: example i is `features[i * featureCount ..< (i + 1) * featureCount]`.
    public let features: [Float]
    /// The shape of one example's features: `[4]` for Iris, `[1, 28, 28]` for MNIST (channels, height, width).
    public let featureShape: [Int]
    /// The class of each example, in `0 ..< classNames.count`.
    public let labels: [Int]
    /// The classes' names, in label order.
    public let classNames: [String]

    /// The number of features of one example.
    public var featureCount: Int { featureShape.reduce(1, *) }
    /// The number of examples.
    public var count: Int { labels.count }

    /// Data the caller built and knows to agree: `features.count` is `labels.count` times the
    /// entries of `featureShape`, and every label is below `classNames.count` (a precondition).
    /// Data from a file goes through `init(checking:…)`, which throws instead.
    public init(features: [Float], featureShape: [Int], labels: [Int], classNames: [String]) {
        precondition(LabeledData.problem(features.count, featureShape, labels, classNames.count) == nil)
        self.init(trusted: features, featureShape: featureShape, labels: labels, classNames: classNames)
    }

    /// Data from a file: every size checked with checked arithmetic (no shape can overflow).
    /// - Throws: `DatasetError` naming `file` when the features do not fill whole examples of
    ///   `featureShape`, a size is not positive or overflows, or a label is out of range.
    public init(checking features: [Float], featureShape: [Int], labels: [Int], classNames: [String], file: String) throws(DatasetError) {
        if let problem = LabeledData.problem(features.count, featureShape, labels, classNames.count) {
            throw DatasetError(file: file, problem)
        }
        self.init(trusted: features, featureShape: featureShape, labels: labels, classNames: classNames)
    }

    private init(trusted features: [Float], featureShape: [Int], labels: [Int], classNames: [String]) {
        self.features = features
        self.featureShape = featureShape
        self.labels = labels
        self.classNames = classNames
    }

    /// Why these sizes do not make labeled data, or nil when they do.
    static func problem(_ featureTotal: Int, _ shape: [Int], _ labels: [Int], _ classes: Int) -> String? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 }), let perExample = DataLimits.product(shape) else {
            return "an example's shape \(shape) is not a list of positive sizes whose product an integer can count"
        }
        let (total, overflow) = perExample.multipliedReportingOverflow(by: labels.count)
        guard !overflow, total == featureTotal else {
            return "\(featureTotal) feature values do not make \(labels.count) examples of shape \(shape) (\(perExample) each)"
        }
        if let bad = labels.first(where: { !(0..<classes).contains($0) }) {
            return "label \(bad) is out of range: \(classes) class\(classes == 1 ? "" : "es")"
        }
        return nil
    }

    /// How many examples each class has, in label order.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classNames.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledData {
        let n = featureCount
        var features = [Float]()
        features.reserveCapacity(indices.count * n)
        for index in indices { features.append(contentsOf: self.features[index * n ..< (index + 1) * n]) }
        return LabeledData(trusted: features, featureShape: featureShape, labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// A seeded split into a training and a held-out part, stratified by class so both keep the
    /// class balance: `heldOut` is the fraction of each class held out.
    public func split(heldOut fraction: Double, seed: UInt64) -> (train: LabeledData, test: LabeledData) {
        var generator = SeededGenerator(seed: seed)
        var train: [Int] = [], test: [Int] = []
        for label in 0..<classNames.count {
            var members = labels.indices.filter { labels[$0] == label }
            members.shuffle(using: &generator)
            let cut = Int((Double(members.count) * fraction).rounded())
            test += members[..<cut]
            train += members[cut...]
        }
        return (subset(train.sorted()), subset(test.sorted()))
    }

    /// `count` seeded, stratified folds for cross-validation: fold k holds out every count-th member
    /// of each shuffled class, starting at the k-th, and trains on the rest. Every example is held out once.
    public func folds(_ count: Int, seed: UInt64) -> [(train: LabeledData, test: LabeledData)] {
        precondition(count >= 2)
        var generator = SeededGenerator(seed: seed)
        var foldOf = [Int](repeating: 0, count: self.count)
        for label in 0..<classNames.count {
            var members = labels.indices.filter { labels[$0] == label }
            members.shuffle(using: &generator)
            for (position, member) in members.enumerated() { foldOf[member] = position % count }
        }
        return (0..<count).map { fold in
            (subset(indices.filter { foldOf[$0] != fold }), subset(indices.filter { foldOf[$0] == fold }))
        }
    }

    /// The example indices, 0..<count.
    public var indices: Range<Int> { 0..<count }

    /// Mini-batches of `size` examples, in an order shuffled by `seed` (or in file order when nil);
    /// the last batch holds what is left.
    public func batches(size: Int, seed: UInt64?) -> [[Int]] {
        precondition(size > 0)
        var order = Array(0..<count)
        if let seed {
            var generator = SeededGenerator(seed: seed)
            order.shuffle(using: &generator)
        }
        return stride(from: 0, to: count, by: size).map { Array(order[$0 ..< min($0 + size, count)]) }
    }
}

/// SplitMix64: a small, fast, seeded generator, so a shuffle is the same on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}

extension LabeledData {
    /// Each feature's mean and standard deviation over the examples (a constant feature gets 1).
    public func featureStatistics() -> (mean: [Float], deviation: [Float]) {
        let n = featureCount
        var mean = [Double](repeating: 0, count: n), square = [Double](repeating: 0, count: n)
        for row in 0..<count {
            for j in 0..<n {
                let x = Double(features[row * n + j])
                mean[j] += x; square[j] += x * x
            }
        }
        let total = Double(max(count, 1))
        let deviation = (0..<n).map { j -> Float in
            let variance = square[j] / total - (mean[j] / total) * (mean[j] / total)
            return variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
        return (mean.map { Float($0 / total) }, deviation)
    }

    /// The data with every feature shifted and scaled by the given statistics (take them from the
    /// training part only, and apply them to both parts, so nothing leaks from the held-out part).
    public func standardized(mean: [Float], deviation: [Float]) -> LabeledData {
        let n = featureCount
        var scaled = features
        for index in scaled.indices { scaled[index] = (scaled[index] - mean[index % n]) / deviation[index % n] }
        return LabeledData(trusted: scaled, featureShape: featureShape, labels: labels, classNames: classNames)
    }
}

import Foundation

extension Datasets {
    /// Two interleaving half circles in the plane, scikit-learn's `make_moons` shape: the upper
    /// moon (label 0) is (cos t, sin t) and the lower one (label 1) is (1 − cos t, ½ − sin t) for
    /// t evenly spaced over [0, π], each point moved by Gaussian noise of standard deviation
    /// `noise`, then shuffled.
    ///
    /// Seeded with `SeededGenerator`, so the same arguments give the same points on every machine
    /// (they are not scikit-learn's numbers, whose generator is NumPy's).
    ///
    /// ```swift
    /// let moons = Datasets.twoMoons(count: 100, noise: 0.1, seed: 1)
    /// print(moons.featureShape, moons.classCounts)   // Prints "[2] [50, 50]"
    /// ```
    /// - Precondition: `count >= 2` and `noise >= 0`.
    public static func twoMoons(count: Int, noise: Double, seed: UInt64) -> LabeledData {
        precondition(count >= 2 && noise >= 0, "two moons need at least 2 points and a noise of 0 or more")
        var generator = SeededGenerator(seed: seed)
        let upperCount = count / 2, lowerCount = count - upperCount
        func angles(_ n: Int) -> [Double] { (0..<n).map { n == 1 ? 0 : Double($0) * Double.pi / Double(n - 1) } }
        var points = angles(upperCount).map { (Foundation.cos($0), Foundation.sin($0), 0) }
            + angles(lowerCount).map { (1 - Foundation.cos($0), 0.5 - Foundation.sin($0), 1) }
        points.shuffle(using: &generator)
        // Box–Muller: two uniforms in (0, 1] give two independent standard normal draws.
        func gaussian() -> Double {
            let u = Double.random(in: Double.ulpOfOne...1, using: &generator)
            let v = Double.random(in: 0..<1, using: &generator)
            return Foundation.sqrt(-2 * Foundation.log(u)) * Foundation.cos(2 * Double.pi * v)
        }
        var features: [Float] = []
        features.reserveCapacity(2 * count)
        for point in points {
            features.append(Float(point.0 + noise * gaussian()))
            features.append(Float(point.1 + noise * gaussian()))
        }
        return LabeledData(features: features, featureShape: [2], labels: points.map(\.2), classNames: ["upper", "lower"])
    }
}

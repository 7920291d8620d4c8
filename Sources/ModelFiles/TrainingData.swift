import Datasets
import Foundation
import NeuralNetworks
import Support

/// The data sets shipped in `lessons/data`, split into a training part and a held-out part, as
/// `backprop train` and the lessons' `[model]` sections read them.
public enum TrainingData {
    /// The shipped data sets' directory (`Resources.dataDirectory()`).
    public static func dataDirectory() throws(WorkbenchFailure) -> String { try Resources.dataDirectory() }

    /// The names `load` knows.
    public static let names = ["iris", "digits", "mnist"]

    /// The training and held-out parts of a shipped data set.
    ///
    /// Iris and digits hold out 20% of each class (seeded); MNIST uses its 10,000 test images.
    /// Iris's features are standardized with the training part's mean and deviation.
    /// - Throws: `WorkbenchFailure.badInput` for an unknown name or an unreadable file.
    public static func load(_ name: String, seed: UInt64) throws(WorkbenchFailure) -> (train: LabeledData, test: LabeledData) {
        guard names.contains(name) else { throw .badInput("--data \(name): use iris, digits or mnist") }
        let directory = try dataDirectory()
        do {
            switch name {
            case "iris":
                // Iris's four measurements differ in scale (petal width ~0.2–2.5, sepal length ~4–8):
                // standardize them with the training part's statistics, as scikit-learn's StandardScaler would.
                let (train, test) = try Datasets.iris(path: directory + "/iris.csv").split(heldOut: 0.2, seed: seed)
                let statistics = train.featureStatistics()
                return (train.standardized(mean: statistics.mean, deviation: statistics.deviation),
                        test.standardized(mean: statistics.mean, deviation: statistics.deviation))
            case "digits": return try Datasets.digits(path: directory + "/digits.csv.gz").split(heldOut: 0.2, seed: seed)
            default:
                let train = try Datasets.mnist(directory: directory + "/mnist", training: true)
                let test = try Datasets.mnist(directory: directory + "/mnist", training: false)
                try sameShape(train, test, directory + "/mnist")
                return (train, test)
            }
        } catch {
            throw .badInput(error.description)
        }
    }

    /// The held-out images must be the training images' size, or the accuracy would be invented.
    static func sameShape(_ train: LabeledData, _ test: LabeledData, _ directory: String) throws(DatasetError) {
        guard train.featureShape == test.featureShape else {
            throw DatasetError(file: directory + "/t10k-images-idx3-ubyte", "the held-out images have shape \(test.featureShape), the training images \(train.featureShape)")
        }
    }

    /// Why `set` cannot feed `spec` — "MODEL takes inputs of shape …, but DATA has …" — or nil when it can.
    public static func inputMismatch(_ model: String, _ spec: ModelSpec, _ dataName: String, _ set: LabeledData) -> String? {
        set.featureCount == ModelSpec.entries(of: spec.inputShape) ? nil
            : "\(model) takes inputs of shape \(spec.inputShape), but \(dataName) has \(set.featureShape)"
    }

    /// `count` stratified folds of iris or digits for cross-validation (iris standardized with each
    /// fold's training statistics). MNIST keeps its own test set, so it has no folds here.
    public static func folds(_ name: String, count: Int, seed: UInt64) throws(WorkbenchFailure) -> [(train: LabeledData, test: LabeledData)] {
        guard name == "iris" || name == "digits" else {
            throw .badInput("--folds: cross-validation is for iris and digits; \(name) has its own test set")
        }
        let directory = try dataDirectory()
        do {
            if name == "digits" { return try Datasets.digits(path: directory + "/digits.csv.gz").folds(count, seed: seed) }
            return try Datasets.iris(path: directory + "/iris.csv").folds(count, seed: seed).map { train, test in
                let statistics = train.featureStatistics()
                return (train.standardized(mean: statistics.mean, deviation: statistics.deviation),
                        test.standardized(mean: statistics.mean, deviation: statistics.deviation))
            }
        } catch {
            throw .badInput(error.description)
        }
    }

    /// The first `limit` training and first `testLimit` held-out examples (nil: all), and how many
    /// each part has in all. For MNIST only those images are decoded, which saves seconds in a
    /// debug build; the other sets are split first, then cut, so the parts are those of `load`.
    public static func load(_ name: String, seed: UInt64, limit: Int?, testLimit: Int?) throws(WorkbenchFailure)
        -> (train: LabeledData, test: LabeledData, available: (train: Int, test: Int)) {
        func prefix(_ data: LabeledData, _ count: Int?) -> LabeledData {
            guard let count, count < data.count else { return data }
            return data.subset(Array(0..<count))
        }
        guard name == "mnist" else {
            let (train, test) = try load(name, seed: seed)
            return (prefix(train, limit), prefix(test, testLimit), (train.count, test.count))
        }
        let directory = try dataDirectory() + "/mnist"
        do {
            let (train, trainCount) = try mnist(directory, "train", limit)
            let (test, testCount) = try mnist(directory, "t10k", testLimit)
            try sameShape(train, test, directory)
            return (train, test, (trainCount, testCount))
        } catch {
            throw .badInput(error.description)
        }
    }

    /// The first `limit` examples of one MNIST pair (`train` or `t10k`), checked as `Datasets.pair`
    /// checks them, with the pair's full count.
    static func mnist(_ directory: String, _ prefix: String, _ limit: Int?) throws(DatasetError) -> (LabeledData, Int) {
        func path(_ stem: String) throws(DatasetError) -> String {
            for name in [stem + ".gz", stem] where FileManager.default.fileExists(atPath: directory + "/" + name) { return directory + "/" + name }
            throw DatasetError(file: directory + "/" + stem + ".gz", "no such file (nor \(stem) uncompressed)")
        }
        let imagePath = try path("\(prefix)-images-idx3-ubyte"), labelPath = try path("\(prefix)-labels-idx1-ubyte")
        guard let limit else {
            let data = try Datasets.pair(images: imagePath, labels: labelPath, classNames: (0...9).map(String.init))
            return (data, data.count)
        }
        let images = try IDXFile(path: imagePath), labels = try IDXFile(path: labelPath)
        guard labels.dimensions.count == 1 else { throw DatasetError(file: labelPath, "a label file has one dimension; this one has \(labels.dimensions.count)") }
        guard images.dimensions.count == 3, images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError(file: labelPath, "\(labels.dimensions[0]) labels for \(images.dimensions.first ?? 0) images in \(imagePath)")
        }
        if let bad = labels.bytes.firstIndex(where: { $0 > 9 }) {
            throw DatasetError(file: labelPath, place: "byte \(8 + bad)", "label \(labels.bytes[bad]) of example \(bad) is out of range 0…9")
        }
        let count = min(limit, labels.dimensions[0]), size = images.dimensions[1] * images.dimensions[2]
        let features = images.bytes.withUnsafeBufferPointer { bytes in (0..<count * size).map { Float(bytes[$0]) / 255 } }
        return (try LabeledData(checking: features, featureShape: [1, images.dimensions[1], images.dimensions[2]],
                                labels: labels.bytes[..<count].map(Int.init), classNames: (0...9).map(String.init), file: imagePath), labels.dimensions[0])
    }
}

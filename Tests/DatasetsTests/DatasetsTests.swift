import Datasets
import Foundation
import Testing

// The shipped data sets read as their provenance says, and every kind of bad file is one clear error.

private let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("lessons/data").path

private func scratch() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func failure(_ body: () throws -> Void) -> DatasetError? {
    do { try body(); return nil } catch let error as DatasetError { return error } catch { return nil }
}

@Suite("Data sets")
struct DatasetsTests {
    @Test("MNIST: 60,000 training and 10,000 test images, MNIST's published class counts and first labels")
    func mnist() throws {
        let train = try Datasets.mnist(directory: data + "/mnist", training: true)
        #expect(train.count == 60_000)
        #expect(train.featureShape == [1, 28, 28])
        #expect(train.classCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        #expect(Array(train.labels.prefix(8)) == [5, 0, 4, 1, 9, 2, 1, 3])
        let mean = train.features.reduce(0.0) { $0 + Double($1) } / Double(train.features.count)
        #expect(abs(mean - 0.1307) < 5e-5, "pixel mean \(mean)")
        let test = try Datasets.mnist(directory: data + "/mnist", training: false)
        #expect(test.count == 10_000)
        #expect(test.classCounts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    }

    @Test("Iris: 150 examples, 4 features, 3 classes of 50")
    func iris() throws {
        let iris = try Datasets.iris(path: data + "/iris.csv")
        #expect(iris.count == 150)
        #expect(iris.featureShape == [4])
        #expect(iris.classNames == ["setosa", "versicolor", "virginica"])
        #expect(iris.classCounts == [50, 50, 50])
        #expect(Array(iris.features.prefix(4)) == [5.1, 3.5, 1.4, 0.2])
    }

    @Test("digits: 1,797 8×8 images, pixels 0…16 scaled to [0, 1], the UCI class counts")
    func digits() throws {
        let digits = try Datasets.digits(path: data + "/digits.csv.gz")
        #expect(digits.count == 1797)
        #expect(digits.featureShape == [1, 8, 8])
        #expect(digits.classCounts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
        #expect(digits.features.min() == 0 && digits.features.max() == 1)
    }

    @Test("batches: seeded, cover every example once, the last one holds the rest")
    func batches() throws {
        let iris = try Datasets.iris(path: data + "/iris.csv")
        let batches = iris.batches(size: 32, seed: 42)
        #expect(batches.map(\.count) == [32, 32, 32, 32, 22])
        #expect(batches.flatMap { $0 }.sorted() == Array(0..<150))
        #expect(iris.batches(size: 32, seed: 42) == batches)
        #expect(iris.batches(size: 32, seed: 43) != batches)
        #expect(iris.batches(size: 32, seed: nil).first == Array(0..<32))
    }

    @Test("a stratified split keeps the class balance and is the same for the same seed")
    func split() throws {
        let iris = try Datasets.iris(path: data + "/iris.csv")
        let (train, test) = iris.split(heldOut: 0.2, seed: 7)
        #expect(train.classCounts == [40, 40, 40])
        #expect(test.classCounts == [10, 10, 10])
        #expect(iris.split(heldOut: 0.2, seed: 7).test.features == test.features)
    }

    @Test("bad IDX files: wrong magic, wrong type, truncated, trailing bytes, corrupt gzip", arguments: [
        ([0x50, 0x4B, 0x03, 0x04], "byte 0: not an IDX file: magic number 50 4b 03 04"),
        ([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], "byte 2: IDX element type 0xd is not supported"),
        ([0, 0, 8, 3, 0, 0, 0, 2, 0, 0], "byte 10: the header is cut short"),
        ([0, 0, 8, 1, 0, 0, 0, 4, 1, 2], "byte 10: truncated: the header says 4 = 4 bytes of data, the file has 2"),
        ([0, 0, 8, 1, 0, 0, 0, 1, 1, 2], "byte 9: 1 bytes after the data"),
        ([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0x33], "the gzip stream is cut short"),
    ] as [([UInt8], String)])
    func badIDX(bytes: [UInt8], message: String) throws {
        let path = try scratch() + "/bad.idx"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(failure { _ = try IDXFile(path: path) })
        #expect(error.description.hasPrefix(path + ": "))
        #expect(error.description.contains(message), "\(error)")
    }

    @Test("a truncated copy of MNIST's real label file is an error naming the byte")
    func truncatedMNIST() throws {
        let labels = try Compressed.contents(of: data + "/mnist/t10k-labels-idx1-ubyte.gz")
        let path = try scratch() + "/labels.idx"
        try Data(labels.prefix(5000)).write(to: URL(fileURLWithPath: path))
        let error = try #require(failure { _ = try IDXFile(path: path) })
        #expect(error.description == "\(path): byte 5000: truncated: the header says 10000 = 10000 bytes of data, the file has 4992")
        let gz = try Data(contentsOf: URL(fileURLWithPath: data + "/mnist/t10k-images-idx3-ubyte.gz"))
        let cut = try scratch() + "/images.gz"
        try gz.prefix(gz.count / 2).write(to: URL(fileURLWithPath: cut))
        let gzError = try #require(failure { _ = try IDXFile(path: cut) })
        #expect(gzError.description.contains("cut short"), "\(gzError)")
    }

    @Test("bad CSV rows: the line, the field and what is wrong", arguments: [
        ("1,2,0\n3,4\n", ":2: expected 3 fields, found 2"),
        ("1,2,0\n3,x,1\n", ":2, field 2: 'x' is not a number"),
        ("1,2,0\n3,4,1.5\n", ":2, field 3: the label '1.5' is not a class number"),
        ("2,2,a,b\n1,2,0\n3,4,2\n", ":3, field 3: label 2 is out of range 0…1"),
        ("3,2,a,b\n1,2,0\n3,4,1\n", ":1: the header says 3 rows, the file has 2"),
        ("", "empty file"),
    ])
    func badCSV(text: String, message: String) throws {
        let path = try scratch() + "/bad.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = try #require(failure { _ = try Datasets.csv(path: path) })
        #expect(error.description.contains(message), "\(error)")
    }

    @Test("k folds: every example is held out exactly once, each fold keeps the class balance, the seed fixes them")
    func folds() throws {
        let labels = (0..<30).map { $0 % 3 }
        let data = LabeledData(features: labels.map(Float.init), featureShape: [1], labels: labels, classNames: ["a", "b", "c"])
        let folds = data.folds(5, seed: 4)
        #expect(folds.count == 5)
        var heldOut: [Float] = []
        for (train, test) in folds {
            #expect(train.count + test.count == 30)
            #expect(test.classCounts == [2, 2, 2])
            heldOut += test.features
        }
        // The features here are the labels, so compare examples by index through a tagged copy.
        let tagged = LabeledData(features: (0..<30).map(Float.init), featureShape: [1], labels: labels, classNames: ["a", "b", "c"])
        let tags = tagged.folds(5, seed: 4).flatMap(\.test.features)
        #expect(tags.sorted() == (0..<30).map(Float.init))
        #expect(tagged.folds(5, seed: 4).map(\.test.features) == tagged.folds(5, seed: 4).map(\.test.features))
        #expect(tagged.folds(5, seed: 4).map(\.test.features) != tagged.folds(5, seed: 5).map(\.test.features))
        #expect(heldOut.count == 30)
    }

    @Test("a label file with a label beyond the classes, and a missing file")
    func labelsAndMissing() throws {
        let directory = try scratch()
        try Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7]).write(to: URL(fileURLWithPath: directory + "/images"))
        try Data([0, 0, 8, 1, 0, 0, 0, 1, 12]).write(to: URL(fileURLWithPath: directory + "/labels"))
        let error = try #require(failure { _ = try Datasets.pair(images: directory + "/images", labels: directory + "/labels", classNames: (0...9).map(String.init)) })
        #expect(error.description == "\(directory)/labels: byte 8: label 12 of example 0 is out of range 0…9")
        let missing = try #require(failure { _ = try Datasets.mnist(directory: directory, training: true) })
        #expect(missing.description.contains("train-images-idx3-ubyte.gz: no such file"))
    }
}

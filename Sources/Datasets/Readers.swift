import Foundation

/// The data sets the workbench ships (lessons/data, see PROVENANCE.md there) and the readers for
/// data sets a student brings: IDX pairs and CSV files whose last column is the label.
public enum Datasets {
    /// MNIST from a directory holding LeCun's four files (gzipped or not): pixels scaled to [0, 1].
    /// - Parameter training: the 60,000 training examples, or the 10,000 test examples.
    public static func mnist(directory: String, training: Bool) throws(DatasetError) -> LabeledData {
        let prefix = training ? "train" : "t10k"
        let images = try idx(directory: directory, stem: "\(prefix)-images-idx3-ubyte")
        let labels = try idx(directory: directory, stem: "\(prefix)-labels-idx1-ubyte")
        return try pair(images: images.file, labels: labels.file, classNames: (0...9).map(String.init))
    }

    static func idx(directory: String, stem: String) throws(DatasetError) -> (file: String, exists: Bool) {
        for name in [stem + ".gz", stem] {
            let path = (directory as NSString).appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: path) { return (path, true) }
        }
        throw DatasetError(file: (directory as NSString).appendingPathComponent(stem + ".gz"), "no such file (nor \(stem) uncompressed)")
    }

    /// An IDX image file and its IDX label file: features scaled from 0…255 to [0, 1].
    public static func pair(images imagePath: String, labels labelPath: String, classNames: [String]) throws(DatasetError) -> LabeledData {
        let images = try IDXFile(path: imagePath), labels = try IDXFile(path: labelPath)
        guard labels.dimensions.count == 1 else {
            throw DatasetError(file: labelPath, "a label file has one dimension; this one has \(labels.dimensions.count)")
        }
        guard images.dimensions.count >= 2, images.dimensions[0] == labels.dimensions[0] else {
            throw DatasetError(file: labelPath, "\(labels.dimensions[0]) labels for \(images.dimensions.first ?? 0) images in \(imagePath)")
        }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classNames.count }) {
            throw DatasetError(file: labelPath, place: "byte \(8 + bad)", "label \(labels.bytes[bad]) of example \(bad) is out of range 0…\(classNames.count - 1)")
        }
        let shape = images.dimensions.count == 3 ? [1] + Array(images.dimensions[1...]) : Array(images.dimensions[1...])
        return try LabeledData(checking: images.bytes.map { Float($0) / 255 }, featureShape: shape,
                               labels: labels.bytes.map(Int.init), classNames: classNames, file: imagePath)
    }

    /// scikit-learn's Iris CSV (a header `150,4,setosa,versicolor,virginica`, then 4 features and a label).
    public static func iris(path: String) throws(DatasetError) -> LabeledData { try csv(path: path) }

    /// scikit-learn's 8×8 digits (no header; 64 pixels 0…16 then the label), pixels scaled to [0, 1].
    public static func digits(path: String) throws(DatasetError) -> LabeledData {
        let data = try csv(path: path, classNames: (0...9).map(String.init))
        guard data.featureCount == 64 else {
            throw DatasetError(file: path, place: "1", "a digits row has 64 pixels and a label; this file's rows have \(data.featureCount) feature\(data.featureCount == 1 ? "" : "s") and a label")
        }
        return try LabeledData(checking: data.features.map { $0 / 16 }, featureShape: [1, 8, 8], labels: data.labels, classNames: data.classNames, file: path)
    }

    /// A CSV file of numbers whose last column is an integer class label.
    ///
    /// A first line in scikit-learn's form (`count,features,name,name,…`) gives the class names and
    /// is checked against the rows; otherwise `classNames` (or `0`, `1`, … up to the largest label).
    /// - Throws: `DatasetError` with the line (and field) of the first bad row: wrong width, not a
    ///   number, a label that is not a whole number or out of range.
    public static func csv(path: String, classNames given: [String]? = nil) throws(DatasetError) -> LabeledData {
        try csv(bytes: try Compressed.contents(of: path), file: path, classNames: given)
    }

    /// `csv(path:)` on bytes already read and decompressed (`file` names them in errors).
    public static func csv(bytes: [UInt8], file path: String, classNames given: [String]? = nil) throws(DatasetError) -> LabeledData {
        try checkLines(bytes, file: path)
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw DatasetError(file: path, "not UTF-8 text") }
        // "\r\n" is one Character in Swift, so splitting on "\n" alone would keep CRLF lines whole.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard !lines.isEmpty else { throw DatasetError(file: path, "empty file") }

        var classNames = given
        var declaredCount: Int? = nil, declaredFeatures: Int? = nil
        var first = 0
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if header.count >= 3, let n = Int(header[0]), let f = Int(header[1]), header[2...].allSatisfy({ Double($0) == nil }) {
            guard n >= 0, (1...DataLimits.fileBytes).contains(f) else {
                throw DatasetError(file: path, place: "1", "the header's counts \(n) rows of \(f) features are out of range")
            }
            guard header.count - 2 <= DataLimits.classes else {
                throw DatasetError(file: path, place: "1", "the header names \(header.count - 2) classes; the limit is \(DataLimits.classes)")
            }
            declaredCount = n; declaredFeatures = f
            classNames = classNames ?? Array(header[2...])
            first = 1
        }
        var width: Int? = declaredFeatures.map { $0 + 1 }
        var features: [Float] = [], labels: [Int] = []
        for number in first..<lines.count {
            let fields = lines[number].split(separator: ",", omittingEmptySubsequences: false)
            let line = "\(number + 1)"
            if width == nil { width = fields.count }
            guard fields.count == width else {
                throw DatasetError(file: path, place: line, "expected \(width!) fields, found \(fields.count)")
            }
            guard width! >= 2 else { throw DatasetError(file: path, place: line, "a row needs at least one feature and a label") }
            for (index, field) in fields.dropLast().enumerated() {
                guard let value = Float(field.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw DatasetError(file: path, place: "\(line), field \(index + 1)", "'\(field)' is not a number")
                }
                features.append(value)
            }
            let labelText = fields.last!.trimmingCharacters(in: .whitespaces)
            guard let label = Int(labelText), label >= 0 else {
                throw DatasetError(file: path, place: "\(line), field \(fields.count)", "the label '\(labelText)' is not a class number (0, 1, 2, …)")
            }
            if let classNames, label >= classNames.count {
                throw DatasetError(file: path, place: "\(line), field \(fields.count)", "label \(label) is out of range 0…\(classNames.count - 1)")
            }
            // Without names, the labels make the classes 0…max: a label of 999999999 would ask for a billion.
            guard label < DataLimits.classes else {
                throw DatasetError(file: path, place: "\(line), field \(fields.count)", "label \(label) is out of range: at most \(DataLimits.classes) classes (0…\(DataLimits.classes - 1))")
            }
            labels.append(label)
        }
        if let declaredCount, declaredCount != labels.count {
            throw DatasetError(file: path, place: "1", "the header says \(declaredCount) rows, the file has \(labels.count)")
        }
        let names = classNames ?? (0...(labels.max() ?? 0)).map(String.init)
        return try LabeledData(checking: features, featureShape: [width! - 1], labels: labels, classNames: names, file: path)
    }

    /// Refuses the first line longer than `DataLimits.lineBytes`, before anything is parsed.
    static func checkLines(_ bytes: [UInt8], file path: String) throws(DatasetError) {
        let limit = DataLimits.lineBytes
        let long: (line: Int, bytes: Int)? = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            var line = 1, start = 0
            while start <= buffer.count {
                // memchr: the scan costs a fraction of a second even in a debug build.
                let end = memchr(base + start, 0x0A, buffer.count - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? buffer.count
                if end - start > limit { return (line, end - start) }
                start = end + 1
                line += 1
            }
            return nil
        }
        if let long {
            throw DatasetError(file: path, place: "\(long.line)", "the line is \(long.bytes) bytes; the limit for a CSV line is \(limit) (BACKPROP_MAX_CSV_LINE_BYTES raises it)")
        }
    }
}

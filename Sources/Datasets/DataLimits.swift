import Foundation

/// The bounds a data file must keep, so that a hostile or broken file is refused with a sentence
/// before it asks for gigabytes: a gzip bomb (1 GB of zeros in 1 MB), an IDX header of
/// `FFFFFFFF` × `FFFFFFFF`, a CSV label of 999999999 (a billion class names). docs/reliability.md
/// lists them and how to raise them.
public enum DataLimits {
    /// The most bytes a data file may have, on disk and after decompression (64 MiB; MNIST's
    /// largest file, the training images, is 47,040,016 bytes). `BACKPROP_MAX_DATA_BYTES` raises it.
    public static var fileBytes: Int { positive("BACKPROP_MAX_DATA_BYTES") ?? 64 << 20 }
    /// The most bytes one line of a CSV file may have (1 MiB: 100,000 features of ten characters).
    /// Every line is measured before any is parsed, so a file of one 60 MB line is refused at once,
    /// with its line number. `BACKPROP_MAX_CSV_LINE_BYTES` raises it.
    public static var lineBytes: Int { positive("BACKPROP_MAX_CSV_LINE_BYTES") ?? 1 << 20 }
    /// The most classes a CSV file's labels may name (labels 0 to 999).
    public static let classes = 1000

    /// The product of IDX dimensions or CSV counts, or nil when it does not fit in an `Int`.
    static func product(_ sizes: [Int]) -> Int? {
        var product = 1
        for size in sizes {
            let (next, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow || size < 0 { return nil }
            product = next
        }
        return product
    }

    private static func positive(_ name: String) -> Int? {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }
}

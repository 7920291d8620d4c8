import Autograd
import Expressions
import Foundation
import ZIPFoundation

/// Reads NumPy's `.npz` archives (`numpy.savez` and `numpy.savez_compressed`): a zip whose every
/// entry `NAME.npy` is one `.npy` array named NAME. The zip itself is read by ZIPFoundation (numpy
/// writes ZIP64 entries, stored or deflated); each array by `ValuesNumPy`.
///
/// Held at the door: at most `maximumEntries` entries; every entry a regular `NAME.npy` whose NAME
/// is a valid input name; the bytes inflated from all entries together at most `limit` (counted as
/// they come out, so an entry that lies about its size, a zip bomb, stops at the limit).
enum NumPyArchive {
    static let maximumEntries = 1_024

    /// The zip's local file header signature, `PK\3\4`: how an `.npz` is told from the rest.
    static let magic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    static func isArchive(_ bytes: [UInt8]) -> Bool { bytes.starts(with: magic) }

    static func arrays(_ bytes: [UInt8], limit: Int) throws(ValuesFileError) -> [(name: String, value: Tensor)] {
        let archive: Archive
        do { archive = try Archive(data: Data(bytes), accessMode: .read) } catch {
            throw ValuesFileError("this .npz is not a zip archive numpy writes (its central directory cannot be read)")
        }
        var entries: [Entry] = []
        for entry in archive {
            entries.append(entry)
            guard entries.count <= maximumEntries else {
                throw ValuesFileError("this .npz holds more than \(maximumEntries) arrays; at most \(maximumEntries) are read")
            }
        }
        guard !entries.isEmpty else { throw ValuesFileError("this .npz holds no arrays") }
        var arrays: [(name: String, value: Tensor)] = []
        var inflated = 0
        for entry in entries {
            let path = entry.path
            guard entry.type == .file, path.hasSuffix(".npy") else {
                throw ValuesFileError("the .npz entry '\(path.prefix(80))' is not an array NAME.npy")
            }
            let name = String(path.dropLast(4))
            guard ValuesJSON.isName(name) else {
                throw ValuesFileError("the .npz entry '\(path.prefix(80))' does not name an input: a name is a letter or _ then letters, digits or _")
            }
            var data: [UInt8] = []
            do {
                _ = try archive.extract(entry) { chunk in
                    inflated += chunk.count
                    guard inflated <= limit else { throw ArchiveTooLarge() }
                    data.append(contentsOf: chunk)
                }
            } catch is ArchiveTooLarge {
                throw ValuesFileError("the arrays of this .npz come to more than \(limit) bytes once inflated; at most \(limit) are read (BACKPROP_MAX_DATA_BYTES)")
            } catch {
                throw ValuesFileError("the .npz entry '\(path)' cannot be read: it is damaged (\(error))")
            }
            do { arrays.append((name, try ValuesNumPy.array(data))) } catch {
                throw ValuesFileError("in the .npz entry '\(path)': \(error.message)")
            }
        }
        return arrays
    }

    private struct ArchiveTooLarge: Error {}
}

import Autograd

/// Writes JSON straight into bytes, formatted exactly as `JSONValue.write` formats a tree (two-space
/// indentation, arrays of plain numbers on one line), for documents too large or too frequent to
/// build as a tree first: `POST /api/trace` of a 100-node program spent 40% of the server's CPU
/// building and writing the `JSONValue` tree (perf, docs/performance.md).
///
/// The caller writes an object's keys in sorted order, as `JSONValue` sorts them; the tests compare
/// the two byte for byte.
///
/// ```swift
/// var json = JSONWriter()
/// json.beginObject()
/// json.key("id"); json.number(3)
/// json.key("shape"); json.numbers([2, 3])
/// json.endObject()          // {\n  "id": 3,\n  "shape": [2, 3]\n}
/// ```
public struct JSONWriter: ~Copyable, ByteSink {
    /// The document so far, in memory of our own: appending to an `[UInt8]` checked its uniqueness
    /// and capacity at every byte, a third of writing a trace (perf).
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// The indentation of the members of the innermost open container.
    private var level = 0
    /// For each open container, whether it has a member yet: the innermost 64 as bits of
    /// `startedBits` (bit `level - 1` for the innermost), any deeper in `startedDeeper`. An array of
    /// flags checked its uniqueness at every member, a tenth of writing a trace (perf).
    private var startedBits: UInt64 = 0
    private var startedDeeper: [Bool] = []

    public init(capacity: Int = 4096) {
        self.capacity = Swift.max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    /// Fractions written so far, by bit pattern, and where their text is in the document: a trace
    /// writes most values two or three times (a node's gradient is the upstream of each edge into
    /// it and the contribution of the edge out of it), and formatting a `Double` (its description)
    /// was four tenths of writing a trace's JSON (callgrind). Direct-mapped, `FractionCache.slots`
    /// entries, allocated at the first fraction.
    private var fractions: UnsafeMutablePointer<FractionCache.Entry>? = nil

    deinit {
        base.deallocate()
        fractions?.deallocate()
    }

    /// The document so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The document so far, lent to `body` without a copy; the pointer is valid only inside it.
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        body(UnsafeBufferPointer(start: base, count: count))
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    /// An array written one element per line (elements start with `element()`).
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Starts the member `name` of the open object; its value comes next. A name written in the
    /// code, copied as it is: it must need no escaping.
    public mutating func key(_ name: StaticString) {
        element()
        name.withUTF8Buffer { name in
            // One reservation for the quoted name, its colon and the space.
            reserve(name.count + 4)
            base[count] = UInt8(ascii: "\"")
            if let start = name.baseAddress { (base + count + 1).initialize(from: start, count: name.count) }
            count += name.count + 1
            base[count] = UInt8(ascii: "\""); base[count + 1] = UInt8(ascii: ":"); base[count + 2] = UInt8(ascii: " ")
            count += 3
        }
    }

    /// Starts the member `name` (any text, escaped) of the open object.
    public mutating func key(text name: String) {
        element()
        string(name)
        put(UInt8(ascii: ":")); put(UInt8(ascii: " "))
    }

    /// Starts the next element of the open array.
    public mutating func element() {
        let hadMember: Bool
        if level <= 64 {
            let bit: UInt64 = 1 << UInt64(level - 1)
            hadMember = startedBits & bit != 0
            startedBits |= bit
        } else {
            hadMember = startedDeeper[level - 65]
            startedDeeper[level - 65] = true
        }
        // The comma, the line break and the indentation in one reservation.
        let width = 2 * level
        reserve(width + 2 + 8)
        if hadMember { base[count] = UInt8(ascii: ","); count += 1 }
        base[count] = UInt8(ascii: "\n")
        spaces(width, at: count + 1)
        count += width + 1
    }

    /// A line break after the document (text files and HTTP bodies end with one).
    public mutating func lineEnd() { put(UInt8(ascii: "\n")) }

    public mutating func null() { put("null") }
    public mutating func bool(_ value: Bool) { put(value ? "true" : "false") }

    /// A number as `TraceFormat.number` writes it; NaN and infinities as null.
    public mutating func number(_ value: Double) {
        // Whole numbers, NaN and infinities are cheap to write: only fractions go through the cache.
        guard value.isFinite, value != value.rounded() else { JSONValue.writeNumber(value, into: &self); return }
        let cache = fractions ?? FractionCache.allocate()
        fractions = cache
        let bits = value.bitPattern
        let slot = cache + FractionCache.slot(of: bits)
        if slot.pointee.length > 0 && slot.pointee.bits == bits {
            let start = Int(slot.pointee.offset), length = Int(slot.pointee.length)
            reserve(length)
            for offset in 0..<length { base[count + offset] = base[start + offset] }
            count += length
            return
        }
        let start = count
        JSONValue.writeNumber(value, into: &self)
        if count - start <= Int(Int32.max), start <= Int(Int32.max) {
            slot.pointee = FractionCache.Entry(bits: bits, offset: Int32(start), length: Int32(count - start))
        }
    }
    public mutating func number(_ value: Int) { integer(Int64(value)) }

    /// `value` as a JSON string, escaped as `JSONValue` escapes it.
    public mutating func string(_ value: String) { JSONValue.writeQuoted(value, into: &self) }

    /// A string written in parts, escaped as the whole would be, with no String of the whole:
    /// `beginString()`, `stringPart(_:)` for each part, `endString()`.
    public mutating func beginString() { put(UInt8(ascii: "\"")) }
    public mutating func stringPart(_ part: String) { JSONValue.writeEscaped(part, into: &self) }
    /// A part written in the code, copied as it is: it must need no escaping.
    public mutating func stringPart(literal part: StaticString) { part.withUTF8Buffer { put($0) } }
    public mutating func endString() { put(UInt8(ascii: "\"")) }

    /// Whole numbers on one line: `[1, 2]`, or `[]`.
    public mutating func numbers(_ values: [Int]) {
        put(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { put(UInt8(ascii: ",")); put(UInt8(ascii: " ")) }
            integer(Int64(value))
        }
        put(UInt8(ascii: "]"))
    }

    /// A tensor as `JSONValue.tensor` makes it: a number, or nested arrays with the innermost on one line.
    public mutating func tensor(_ value: Tensor) {
        if value.isScalar { number(value.scalar); return }
        if value.count == 0 { put("[]"); return }
        let strides = Tensor.strides(of: value.shape)
        value.storage.withUnsafeBufferPointer { storage in
            func nest(_ axis: Int, _ offset: Int) {
                if axis == value.rank - 1 {
                    put(UInt8(ascii: "["))
                    for i in 0..<value.shape[axis] {
                        if i > 0 { put(UInt8(ascii: ",")); put(UInt8(ascii: " ")) }
                        number(storage[offset + i])
                    }
                    put(UInt8(ascii: "]"))
                    return
                }
                beginArray()
                for i in 0..<value.shape[axis] { element(); nest(axis + 1, offset + i * strides[axis]) }
                endArray()
            }
            nest(0, 0)
        }
    }

    /// A tree, written at this place in the document.
    public mutating func value(_ value: JSONValue) {
        var written: [UInt8] = []
        value.write(into: &written, indent: level)
        written.withUnsafeBufferPointer { put($0) }
    }

    private mutating func open(_ bracket: UInt8) {
        put(bracket)
        level += 1
        if level <= 64 { startedBits &= ~(1 << UInt64(level - 1)) } else { startedDeeper.append(false) }
    }

    private mutating func close(_ bracket: UInt8) {
        let hadMember = level <= 64 ? startedBits & (1 << UInt64(level - 1)) != 0 : startedDeeper.removeLast()
        level -= 1
        if hadMember {
            put(UInt8(ascii: "\n"))
            pad(level)
        }
        put(bracket)
    }

    // MARK: - Bytes

    private mutating func integer(_ value: Int64) { JSONValue.writeInteger(value, into: &self) }

    /// Two spaces per level.
    private mutating func pad(_ level: Int) {
        let width = 2 * level
        reserve(width + 8)
        spaces(width, at: count)
        count += width
    }

    /// `width` spaces from `offset`, eight at a time: a call to memset for a few bytes at every
    /// member was a twentieth of writing a trace (callgrind). Writes up to 7 bytes past the
    /// spaces, so the caller reserves 8 more than it keeps.
    @inline(__always) private func spaces(_ width: Int, at offset: Int) {
        var position = offset
        let end = offset + width
        while position < end {
            UnsafeMutableRawPointer(base + position).storeBytes(of: 0x2020_2020_2020_2020 as UInt64, as: UInt64.self)
            position += 8
        }
    }

    @inline(__always) private mutating func reserve(_ extra: Int) {
        if extra > capacity - count { grow(extra) }
    }

    private mutating func grow(_ extra: Int) {
        let (needed, overflow) = count.addingReportingOverflow(extra)
        precondition(!overflow, "JSONWriter: the document outgrew the address space")
        let grown = Swift.max(needed, capacity > Int.max / 2 ? needed : 2 * capacity)
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.initialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity = grown
    }

    @inline(__always) mutating func put(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        if bytes.count <= 32 {
            // Numbers, labels and keys: a loop, not a call to memmove for a few bytes each.
            for offset in 0..<bytes.count { base[count + offset] = start[offset] }
        } else {
            (base + count).initialize(from: start, count: bytes.count)
        }
        count += bytes.count
    }
}

/// The table behind `JSONWriter`'s memory of the fractions it has written.
enum FractionCache {
    struct Entry {
        var bits: UInt64
        /// Where the number's text starts in the document, and its length (0: an empty slot).
        var offset: Int32, length: Int32
    }

    static let slots = 512

    static func allocate() -> UnsafeMutablePointer<Entry> {
        let table = UnsafeMutablePointer<Entry>.allocate(capacity: slots)
        table.initialize(repeating: Entry(bits: 0, offset: 0, length: 0), count: slots)
        return table
    }

    /// Fibonacci hashing of the bit pattern onto the slots.
    @inline(__always)
    static func slot(of bits: UInt64) -> Int { Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> 55) }
}

import CKernels

// The window kernels of convolutions and pooling, shared by the engine (Double, batches [N, C, H, W])
// and the Float32 training path (Float, channel-major batches [C, B, H, W]). A batch is a set of planes
// of H × W entries; `Kernels.Planes` says where plane (channel c, example b) starts, so one loop serves
// both layouts. Their plain reference loops are in Kernels+Reference.swift.

extension Kernels {
    /// A square window sliding over planes of `height × width`: output size ⌊(H + 2P − K) / S⌋ + 1.
    public struct Window: Sendable, Equatable {
        public let channels: Int, height: Int, width: Int, size: Int, stride: Int, padding: Int
        public init(channels: Int, height: Int, width: Int, size: Int, stride: Int, padding: Int) {
            (self.channels, self.height, self.width, self.size, self.stride, self.padding) = (channels, height, width, size, stride, padding)
        }
        @inlinable public var outHeight: Int { (height + 2 * padding - size) / stride + 1 }
        @inlinable public var outWidth: Int { (width + 2 * padding - size) / stride + 1 }
        @inlinable public var inputPlane: Int { height * width }
        @inlinable public var outputPlane: Int { outHeight * outWidth }
        /// Rows of the im2col matrix: C·K·K.
        @inlinable public var depth: Int { channels * size * size }
        /// The same window over the zero-bordered planes `pad` makes (padding 0).
        @inlinable public var padded: Window {
            Window(channels: channels, height: height + 2 * padding, width: width + 2 * padding, size: size, stride: stride, padding: 0)
        }
    }

    /// Where plane (c, b) starts, in planes: `c · channel + b · example`.
    public struct Planes: Sendable, Equatable {
        public let channel: Int, example: Int
        public init(channel: Int, example: Int) { (self.channel, self.example) = (channel, example) }
        /// `[N, C, H, W]`, the engine's layout.
        public static func examplesFirst(channels: Int) -> Planes { Planes(channel: 1, example: channels) }
        /// `[C, B, H, W]`, the Float32 path's layout between convolutions.
        public static func channelsFirst(batch: Int) -> Planes { Planes(channel: batch, example: 1) }
        @inlinable public func index(_ c: Int, _ b: Int) -> Int { c &* channel &+ b &* example }
    }

    /// Columns `[C·K·K, E·H'·W']` of the examples `examples` (E of them): row (c, ki, kj), column
    /// (example, oi, oj) holds x[c, example, oi·S + ki − P, oj·S + kj − P], zero in the padding.
    ///
    /// Hot loop of both paths' convolutions: raw pointers, and `&+`/`&*` on offsets that stay within
    /// the planes (every index is inside the batch the caller passes, checked by its shapes).
    @inlinable
    public static func im2col<T: KernelScalar>(_ x: UnsafePointer<T>, _ w: Window, _ planes: Planes, examples: Range<Int>,
                                               into columns: UnsafeMutablePointer<T>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let spatial = examples.count &* oh &* ow
        for c in 0..<w.channels {
            for ki in 0..<w.size {
                for kj in 0..<w.size {
                    let row = columns + ((c &* w.size &+ ki) &* w.size &+ kj) &* spatial
                    for b in examples {
                        let plane = x + planes.index(c, b) &* w.inputPlane
                        let out = row + (b &- examples.lowerBound) &* oh &* ow
                        for oi in 0..<oh {
                            let i = oi &* w.stride &+ ki &- w.padding
                            let line = out + oi &* ow
                            guard i >= 0 && i < w.height else { line.update(repeating: 0, count: ow); continue }
                            let source = plane + i &* w.width
                            if w.stride == 1 {
                                // j = oj + kj − padding: one contiguous run, zeros either side.
                                let first = Swift.min(ow, Swift.max(0, w.padding &- kj))
                                let last = Swift.max(first, Swift.min(ow, w.width &+ w.padding &- kj))
                                if first > 0 { line.update(repeating: 0, count: first) }
                                if last > first { copy(source + (first &+ kj &- w.padding), line + first, last &- first) }
                                if last < ow { (line + last).update(repeating: 0, count: ow &- last) }
                            } else {
                                for oj in 0..<ow {
                                    let j = oj &* w.stride &+ kj &- w.padding
                                    line[oj] = j >= 0 && j < w.width ? source[j] : 0
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the columns back into the examples' planes (the reverse of `im2col`, summing overlaps).
    @inlinable
    public static func col2im<T: KernelScalar>(_ columns: UnsafePointer<T>, _ w: Window, _ planes: Planes, examples: Range<Int>,
                                               into x: UnsafeMutablePointer<T>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        let spatial = examples.count &* oh &* ow
        for c in 0..<w.channels {
            for ki in 0..<w.size {
                for kj in 0..<w.size {
                    let row = columns + ((c &* w.size &+ ki) &* w.size &+ kj) &* spatial
                    for b in examples {
                        let plane = x + planes.index(c, b) &* w.inputPlane
                        let out = row + (b &- examples.lowerBound) &* oh &* ow
                        for oi in 0..<oh {
                            let i = oi &* w.stride &+ ki &- w.padding
                            guard i >= 0 && i < w.height else { continue }
                            let target = plane + i &* w.width, line = out + oi &* ow
                            if w.stride == 1 {
                                let first = Swift.min(ow, Swift.max(0, w.padding &- kj))
                                let last = Swift.max(first, Swift.min(ow, w.width &+ w.padding &- kj))
                                let shifted = target + (kj &- w.padding)
                                for oj in first..<last { shifted[oj] += line[oj] }
                            } else {
                                for oj in 0..<ow {
                                    let j = oj &* w.stride &+ kj &- w.padding
                                    if j >= 0 && j < w.width { target[j] += line[oj] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `count` planes (one after the other) copied with a border of `w.padding` zeros around each.
    @inlinable
    public static func pad<T: KernelScalar>(_ x: UnsafePointer<T>, _ w: Window, count: Int, into padded: UnsafeMutablePointer<T>) {
        let (hp, wp) = (w.height &+ 2 &* w.padding, w.width &+ 2 &* w.padding)
        for plane in 0..<count {
            let target = padded + plane &* (hp &* wp), source = x + plane &* w.inputPlane
            for i in 0..<(w.padding &* wp) { target[i] = 0; target[(hp &- w.padding) &* wp &+ i] = 0 }
            for i in 0..<w.height {
                let row = target + (i &+ w.padding) &* wp
                for j in 0..<w.padding { row[j] = 0; row[wp &- 1 &- j] = 0 }
                copy(source + i &* w.width, row + w.padding, w.width)
            }
        }
    }

    /// `im2col` for stride 1 from planes that `pad` bordered: every row of every window is one
    /// contiguous run, so each is a few vector copies with no bounds to test (im2col was a fifth of
    /// the CNN's epoch). `w` is the unpadded window.
    @inlinable
    public static func im2colPadded<T: KernelScalar>(_ padded: UnsafePointer<T>, _ w: Window, _ planes: Planes, examples: Range<Int>,
                                                     into columns: UnsafeMutablePointer<T>) {
        precondition(w.stride == 1, "im2colPadded is for stride 1")
        let (oh, ow) = (w.outHeight, w.outWidth)
        let (hp, wp) = (w.height &+ 2 &* w.padding, w.width &+ 2 &* w.padding)
        let spatial = examples.count &* oh &* ow
        for c in 0..<w.channels {
            for ki in 0..<w.size {
                for kj in 0..<w.size {
                    let row = columns + ((c &* w.size &+ ki) &* w.size &+ kj) &* spatial
                    for b in examples {
                        let source = padded + (planes.index(c, b) &* hp &* wp &+ ki &* wp &+ kj)
                        let out = row + (b &- examples.lowerBound) &* oh &* ow
                        for oi in 0..<oh { copy(source + oi &* wp, out + oi &* ow, ow) }
                    }
                }
            }
        }
    }

    /// Copies `count` entries 32 bytes at a time (the last run overlapping), or one by one below that.
    @inlinable @inline(__always)
    public static func copy<T: KernelScalar>(_ source: UnsafePointer<T>, _ target: UnsafeMutablePointer<T>, _ count: Int) {
        let lanes = 32 / MemoryLayout<T>.stride
        guard count >= lanes, lanes == 8 || lanes == 4 else { target.update(from: source, count: count); return }
        var k = 0
        while k &+ lanes <= count {
            UnsafeMutableRawPointer(target + k).storeBytes(of: UnsafeRawPointer(source + k).loadUnaligned(as: SIMD4<UInt64>.self), as: SIMD4<UInt64>.self)
            k &+= lanes
        }
        if k < count {
            let last = count &- lanes
            UnsafeMutableRawPointer(target + last).storeBytes(of: UnsafeRawPointer(source + last).loadUnaligned(as: SIMD4<UInt64>.self), as: SIMD4<UInt64>.self)
        }
    }

    // MARK: - Pooling

    /// The largest entry of each window of each of `count` planes, and in `argmax` the offset in `x`
    /// of the first largest one (a NaN wins over every number, the last NaN over earlier ones, so NaN
    /// propagates as in the engine). Padding must be 0.
    @inlinable
    public static func maxPool<T: KernelScalar, I: FixedWidthInteger>(_ x: UnsafePointer<T>, _ w: Window, count: Int,
                                                                     into y: UnsafeMutablePointer<T>, argmax: UnsafeMutablePointer<I>) {
        let (oh, ow) = (w.outHeight, w.outWidth)
        if w.size == 2 && w.stride == 2 && w.padding == 0 && T.self == Float.self && I.self == Int32.self {
            // The Float32 path: the loop below in C, with the CPU's widest vectors (CKernels/layers.c).
            ck_maxpool2_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count, w.height, w.width,
                            UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self), UnsafeMutableRawPointer(argmax).assumingMemoryBound(to: Int32.self))
            return
        }
        if w.size == 2 && w.stride == 2 {
            // The notes' 2 × 2 windows, unrolled; the same order and rule as the loop below.
            for plane in 0..<count {
                let base = plane &* w.inputPlane, out = plane &* oh &* ow
                for oi in 0..<oh {
                    let top = base &+ 2 &* oi &* w.width, bottom = top &+ w.width
                    for oj in 0..<ow {
                        // Selects, not branches: on real data which entry wins is random, and the
                        // branchy version spent a fifth of the CNN's epoch on mispredictions.
                        let p0 = top &+ 2 &* oj, p2 = bottom &+ 2 &* oj
                        var best = p0, value = x[p0]
                        var v = x[p0 &+ 1], take = wins(v, over: value)
                        value = take ? v : value; best = take ? p0 &+ 1 : best
                        v = x[p2]; take = wins(v, over: value)
                        value = take ? v : value; best = take ? p2 : best
                        v = x[p2 &+ 1]; take = wins(v, over: value)
                        value = take ? v : value; best = take ? p2 &+ 1 : best
                        y[out &+ oi &* ow &+ oj] = value
                        argmax[out &+ oi &* ow &+ oj] = I(truncatingIfNeeded: best)
                    }
                }
            }
            return
        }
        for plane in 0..<count {
            let base = plane &* w.inputPlane, out = plane &* oh &* ow
            for oi in 0..<oh {
                for oj in 0..<ow {
                    var best = base &+ oi &* w.stride &* w.width &+ oj &* w.stride
                    var value = x[best]
                    for ki in 0..<w.size {
                        let rowStart = base &+ (oi &* w.stride &+ ki) &* w.width &+ oj &* w.stride
                        for kj in 0..<w.size where (ki, kj) != (0, 0) {
                            let v = x[rowStart &+ kj]
                            if wins(v, over: value) { value = v; best = rowStart &+ kj }
                        }
                    }
                    y[out &+ oi &* ow &+ oj] = value
                    argmax[out &+ oi &* ow &+ oj] = I(truncatingIfNeeded: best)
                }
            }
        }
    }

    /// Whether v replaces the running maximum: v is larger, or v is NaN (NaN > x and NaN.isNaN
    /// combined without a branch, so the caller's ternaries become selects).
    @inlinable @inline(__always)
    static func wins<T: KernelScalar>(_ v: T, over value: T) -> Bool { (v > value) != (v != v) }

    /// dx = 0, then dx[argmax[i]] += dy[i] for the `outputs` entries of the pooled planes.
    @inlinable
    public static func maxPoolBackward<T: KernelScalar, I: FixedWidthInteger>(_ dy: UnsafePointer<T>, argmax: UnsafePointer<I>, outputs: Int,
                                                                             into dx: UnsafeMutablePointer<T>, inputs: Int) {
        if T.self == Float.self && I.self == Int32.self {
            ck_maxpool_backward_f32(UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self), UnsafeRawPointer(argmax).assumingMemoryBound(to: Int32.self),
                                    outputs, UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self), inputs)
            return
        }
        dx.update(repeating: 0, count: inputs)
        for i in 0..<outputs { dx[Int(argmax[i])] += dy[i] }
    }

    /// `maxPoolBackward` knowing the windows: 2 × 2 windows with stride 2 on Float are written
    /// directly, window by window, without the zeroing and the scatter.
    @inlinable
    public static func maxPoolBackward<T: KernelScalar, I: FixedWidthInteger>(_ dy: UnsafePointer<T>, argmax: UnsafePointer<I>, _ w: Window, count: Int,
                                                                             into dx: UnsafeMutablePointer<T>) {
        if w.size == 2 && w.stride == 2 && w.padding == 0 && T.self == Float.self && I.self == Int32.self {
            ck_maxpool2_backward_f32(UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self), UnsafeRawPointer(argmax).assumingMemoryBound(to: Int32.self),
                                     count, w.height, w.width, UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self))
            return
        }
        maxPoolBackward(dy, argmax: argmax, outputs: count &* w.outputPlane, into: dx, inputs: count &* w.inputPlane)
    }

    /// The mean of each window of each of `count` planes. Padding must be 0.
    @inlinable
    public static func avgPool<T: KernelScalar>(_ x: UnsafePointer<T>, _ w: Window, count: Int, into y: UnsafeMutablePointer<T>) {
        if w.size == 2 && w.stride == 2 && w.padding == 0 && T.self == Float.self {
            ck_avgpool2_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), count, w.height, w.width,
                            UnsafeMutableRawPointer(y).assumingMemoryBound(to: Float.self))
            return
        }
        let (oh, ow) = (w.outHeight, w.outWidth)
        let scale = 1 / T(w.size &* w.size)
        for plane in 0..<count {
            let base = plane &* w.inputPlane, out = plane &* oh &* ow
            for oi in 0..<oh {
                for oj in 0..<ow {
                    var sum: T = 0
                    for ki in 0..<w.size {
                        let rowStart = base &+ (oi &* w.stride &+ ki) &* w.width &+ oj &* w.stride
                        for kj in 0..<w.size { sum += x[rowStart &+ kj] }
                    }
                    y[out &+ oi &* ow &+ oj] = sum * scale
                }
            }
        }
    }

    /// Each window's upstream spread evenly over its entries (overlaps add up), into a zeroed dx.
    @inlinable
    public static func avgPoolBackward<T: KernelScalar>(_ dy: UnsafePointer<T>, _ w: Window, count: Int, into dx: UnsafeMutablePointer<T>) {
        if w.size == 2 && w.stride == 2 && w.padding == 0 && T.self == Float.self {
            ck_avgpool2_backward_f32(UnsafeRawPointer(dy).assumingMemoryBound(to: Float.self), count, w.height, w.width,
                                     UnsafeMutableRawPointer(dx).assumingMemoryBound(to: Float.self))
            return
        }
        let (oh, ow) = (w.outHeight, w.outWidth)
        let scale = 1 / T(w.size &* w.size)
        dx.update(repeating: 0, count: count &* w.inputPlane)
        for plane in 0..<count {
            let base = plane &* w.inputPlane, out = plane &* oh &* ow
            for oi in 0..<oh {
                for oj in 0..<ow {
                    let share = dy[out &+ oi &* ow &+ oj] * scale
                    for ki in 0..<w.size {
                        let rowStart = base &+ (oi &* w.stride &+ ki) &* w.width &+ oj &* w.stride
                        for kj in 0..<w.size { dx[rowStart &+ kj] += share }
                    }
                }
            }
        }
    }

    // MARK: - Log-softmax

    /// Each of `rows` rows of `width` entries: y = x − max − log Σ e^(x − max), so large scores do not overflow.
    @inlinable
    public static func logSoftmax<T: KernelScalar>(_ x: UnsafePointer<T>, rows: Int, width: Int, into y: UnsafeMutablePointer<T>) {
        for row in 0..<rows {
            let s = x + row &* width, o = y + row &* width
            var largest = -T.infinity
            for j in 0..<width { largest = Swift.max(largest, s[j]) }
            var total: T = 0
            for j in 0..<width { total += T.exponential(s[j] - largest) }
            let shift = largest + T.logarithm(total)
            for j in 0..<width { o[j] = s[j] - shift }
        }
    }

    /// Backward of `logSoftmax` from its output y: dx = dy − e^y · Σ dy, row by row.
    @inlinable
    public static func logSoftmaxBackward<T: KernelScalar>(_ y: UnsafePointer<T>, _ dy: UnsafePointer<T>, rows: Int, width: Int,
                                                           into dx: UnsafeMutablePointer<T>) {
        for row in 0..<rows {
            let o = y + row &* width, g = dy + row &* width, d = dx + row &* width
            var sum: T = 0
            for j in 0..<width { sum += g[j] }
            for j in 0..<width { d[j] = g[j] - T.exponential(o[j]) * sum }
        }
    }
}

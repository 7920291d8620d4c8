import Foundation

// MARK: - Pooling with padding, as PyTorch's max_pool2d and avg_pool2d
//
// The kernels layer pools unpadded planes only; these loops walk each window over the real
// entries. Max-pooling treats the border as −∞ (it never wins); average pooling counts it as
// zeros in the K·K divisor (PyTorch's count_include_pad=True). The padding is at most half the
// window (checked by the primitive), so every window holds at least one real entry.

extension Convolution {
    /// Calls `body(output offset, [input offsets of the window's real entries])` for every window,
    /// the entries in row-major order within the window.
    func forEachPaddedWindow(_ body: (Int, [Int]) -> Void) {
        var entries: [Int] = []
        entries.reserveCapacity(size * size)
        var output = 0
        for plane in 0..<(batch * channels) {
            let base = plane * height * width
            for oi in 0..<outHeight {
                for oj in 0..<outWidth {
                    entries.removeAll(keepingCapacity: true)
                    // Only the window's real rows and columns: the loop never walks the border.
                    let top = oi * stride - padding, left = oj * stride - padding
                    for i in Swift.max(top, 0) ..< Swift.min(top + size, height) {
                        for j in Swift.max(left, 0) ..< Swift.min(left + size, width) { entries.append(base + i * width + j) }
                    }
                    body(output, entries)
                    output += 1
                }
            }
        }
    }

    /// Each window's largest real entry and its offset (the first on a tie; a NaN wins).
    func paddedMaxPool(_ x: Tensor) -> (output: Tensor, argmax: [Int]) {
        let count = batch * channels * outHeight * outWidth
        var out = [Double](repeating: -.infinity, count: count), argmax = [Int](repeating: 0, count: count)
        forEachPaddedWindow { position, entries in
            var best = entries[0], value = x.storage[best]
            for offset in entries.dropFirst() where Kernels.wins(x.storage[offset], over: value) {
                value = x.storage[offset]; best = offset
            }
            out[position] = value
            argmax[position] = best
        }
        return (Tensor(shape: [batch, channels, outHeight, outWidth], storage: out), argmax)
    }

    /// Each window's sum of real entries divided by K·K.
    func paddedAveragePool(_ x: Tensor) -> Tensor {
        var out = [Double](repeating: 0, count: batch * channels * outHeight * outWidth)
        let divisor = Double(size * size)
        forEachPaddedWindow { position, entries in
            out[position] = entries.reduce(0) { $0 + x.storage[$1] } / divisor
        }
        return Tensor(shape: [batch, channels, outHeight, outWidth], storage: out)
    }

    /// Each window's upstream / (K·K) added to each of its real entries.
    func paddedAveragePoolBackward(_ upstream: Tensor) -> Tensor {
        var gradient = [Double](repeating: 0, count: batch * channels * height * width)
        let divisor = Double(size * size)
        forEachPaddedWindow { position, entries in
            for offset in entries { gradient[offset] += upstream.storage[position] / divisor }
        }
        return Tensor(shape: [batch, channels, height, width], storage: gradient)
    }
}

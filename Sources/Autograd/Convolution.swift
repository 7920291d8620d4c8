import Foundation

/// The geometry of a 2-D window sliding over a batch [N, C, H, W]: output size
/// floor((H + 2P − K) / S) + 1, and the im2col / col2im moves the convolution needs.
struct Convolution {
    let batch: Int, channels: Int, height: Int, width: Int
    let size: Int, stride: Int, padding: Int
    let outHeight: Int, outWidth: Int

    init?(input shape: [Int], size: Int, stride: Int, padding: Int) {
        // Checked arithmetic: a window, stride or padding from a file must not overflow.
        guard shape.count == 4, size >= 1, stride >= 1, padding >= 0, padding <= Int.max / 4,
              shape.allSatisfy({ $0 >= 0 && $0 <= Int.max / 4 }) else { return nil }
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (self.size, self.stride, self.padding) = (size, stride, padding)
        guard height + 2 * padding >= size, width + 2 * padding >= size else { return nil }
        outHeight = (height + 2 * padding - size) / stride + 1
        outWidth = (width + 2 * padding - size) / stride + 1
        guard outHeight > 0, outWidth > 0 else { return nil }
    }

    /// The kernels layer's window over one example's planes.
    var window: Kernels.Window { Kernels.Window(channels: channels, height: height, width: width, size: size, stride: stride, padding: padding) }

    /// Rows C·K·K, columns H'·W': every window of example `n` as a column (zeros in the padding).
    func im2col(_ x: UnsafeBufferPointer<Double>, example n: Int, into columns: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count >= batch * channels * height * width && columns.count >= window.depth * outHeight * outWidth)
        Kernels.im2col(x.baseAddress!, window, .examplesFirst(channels: channels), examples: n ..< n + 1, into: columns.baseAddress!)
    }

    /// Adds the columns back into example `n`'s positions (the inverse move, summing overlaps).
    func col2im(_ columns: UnsafeBufferPointer<Double>, example n: Int, into x: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count >= batch * channels * height * width && columns.count >= window.depth * outHeight * outWidth)
        Kernels.col2im(columns.baseAddress!, window, .examplesFirst(channels: channels), examples: n ..< n + 1, into: x.baseAddress!)
    }

    /// row-major C[m×n] (+)= op(A) · op(B) through the kernels layer, on the engine's one thread.
    static func gemm(_ a: UnsafePointer<Double>, transposeA: Bool, _ b: UnsafePointer<Double>, transposeB: Bool,
                     _ c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool) {
        Kernels.gemm(transposeA, transposeB, m, n, k, a, transposeA ? m : k, b, transposeB ? k : n,
                     beta: accumulate ? 1 : 0, c, n, parallel: false)
    }

    /// out[n] = W [F, C·K·K] @ im2col(x[n]).
    func forward(_ x: Tensor, _ w: Tensor) -> Tensor {
        let filters = w.shape[0], rows = channels * size * size, spatial = outHeight * outWidth
        var out = [Double](repeating: 0, count: batch * filters * spatial)
        var columns = [Double](repeating: 0, count: rows * spatial)
        x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    columns.withUnsafeMutableBufferPointer { cs in
                        for n in 0..<batch {
                            im2col(xs, example: n, into: cs)
                            Convolution.gemm(ws.baseAddress!, transposeA: false, UnsafePointer(cs.baseAddress!), transposeB: false,
                                             os.baseAddress! + n * filters * spatial, m: filters, n: spatial, k: rows, accumulate: false)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, filters, outHeight, outWidth], storage: out)
    }

    /// ∂/∂x = col2im(Wᵀ @ g[n]) and ∂/∂W = Σₙ g[n] @ im2col(x[n])ᵀ.
    func backward(_ x: Tensor, _ w: Tensor, _ upstream: Tensor) -> [Tensor] {
        let filters = w.shape[0], rows = channels * size * size, spatial = outHeight * outWidth
        var dx = [Double](repeating: 0, count: x.count), dw = [Double](repeating: 0, count: w.count)
        var columns = [Double](repeating: 0, count: rows * spatial), dcolumns = columns
        x.storage.withUnsafeBufferPointer { xs in
            w.storage.withUnsafeBufferPointer { ws in
                upstream.storage.withUnsafeBufferPointer { gs in
                    columns.withUnsafeMutableBufferPointer { cs in
                        dcolumns.withUnsafeMutableBufferPointer { ds in
                            dx.withUnsafeMutableBufferPointer { dxs in
                                dw.withUnsafeMutableBufferPointer { dws in
                                    for n in 0..<batch {
                                        let g = gs.baseAddress! + n * filters * spatial
                                        im2col(xs, example: n, into: cs)
                                        Convolution.gemm(g, transposeA: false, UnsafePointer(cs.baseAddress!), transposeB: true,
                                                         dws.baseAddress!, m: filters, n: rows, k: spatial, accumulate: true)
                                        Convolution.gemm(ws.baseAddress!, transposeA: true, g, transposeB: false,
                                                         ds.baseAddress!, m: rows, n: spatial, k: filters, accumulate: false)
                                        col2im(UnsafeBufferPointer(ds), example: n, into: dxs)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: x.shape, storage: dx), Tensor(shape: w.shape, storage: dw)]
    }

    /// Each window's largest entry, and where it is in x (the first one on a tie; a NaN wins).
    func maxPool(_ x: Tensor) -> (output: Tensor, argmax: [Int]) {
        if padding > 0 { return paddedMaxPool(x) }
        let count = batch * channels * outHeight * outWidth
        var out = [Double](repeating: 0, count: count), argmax = [Int](repeating: 0, count: count)
        x.storage.withUnsafeBufferPointer { xs in
            precondition(xs.count >= batch * channels * height * width)
            Kernels.maxPool(xs.baseAddress!, window, count: batch * channels, into: &out, argmax: &argmax)
        }
        return (Tensor(shape: [batch, channels, outHeight, outWidth], storage: out), argmax)
    }

    /// Each window's mean.
    func averagePool(_ x: Tensor) -> Tensor {
        if padding > 0 { return paddedAveragePool(x) }
        var out = [Double](repeating: 0, count: batch * channels * outHeight * outWidth)
        x.storage.withUnsafeBufferPointer { xs in
            precondition(xs.count >= batch * channels * height * width)
            Kernels.avgPool(xs.baseAddress!, window, count: batch * channels, into: &out)
        }
        return Tensor(shape: [batch, channels, outHeight, outWidth], storage: out)
    }

    /// The upstream of each window, spread evenly over its entries (overlaps add up).
    func averagePoolBackward(_ upstream: Tensor) -> Tensor {
        if padding > 0 { return paddedAveragePoolBackward(upstream) }
        var gradient = [Double](repeating: 0, count: batch * channels * height * width)
        upstream.storage.withUnsafeBufferPointer { g in
            precondition(g.count >= batch * channels * outHeight * outWidth)
            Kernels.avgPoolBackward(g.baseAddress!, window, count: batch * channels, into: &gradient)
        }
        return Tensor(shape: [batch, channels, height, width], storage: gradient)
    }
}

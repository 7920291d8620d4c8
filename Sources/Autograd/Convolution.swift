import CBLAS
import Foundation

/// The geometry of a 2-D window sliding over a batch [N, C, H, W]: output size
/// floor((H + 2P − K) / S) + 1, and the im2col / col2im moves the convolution needs.
struct Convolution {
    let batch: Int, channels: Int, height: Int, width: Int
    let size: Int, stride: Int, padding: Int
    let outHeight: Int, outWidth: Int

    init?(input shape: [Int], size: Int, stride: Int, padding: Int) {
        guard shape.count == 4, size >= 1, stride >= 1, padding >= 0 else { return nil }
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (self.size, self.stride, self.padding) = (size, stride, padding)
        outHeight = (height + 2 * padding - size) / stride + 1
        outWidth = (width + 2 * padding - size) / stride + 1
        guard height + 2 * padding >= size, width + 2 * padding >= size, outHeight > 0, outWidth > 0 else { return nil }
    }

    /// Rows C·K·K, columns H'·W': every window of example `n` as a column (zeros in the padding).
    func im2col(_ x: UnsafeBufferPointer<Double>, example n: Int, into columns: UnsafeMutableBufferPointer<Double>) {
        let spatial = outHeight * outWidth
        for c in 0..<channels {
            let plane = (n * channels + c) * height * width
            for ki in 0..<size {
                for kj in 0..<size {
                    let row = (c * size + ki) * size + kj
                    for oi in 0..<outHeight {
                        let i = oi * stride + ki - padding
                        for oj in 0..<outWidth {
                            let j = oj * stride + kj - padding
                            columns[row * spatial + oi * outWidth + oj] = (i >= 0 && i < height && j >= 0 && j < width) ? x[plane + i * width + j] : 0
                        }
                    }
                }
            }
        }
    }

    /// Adds the columns back into example `n`'s positions (the inverse move, summing overlaps).
    func col2im(_ columns: UnsafeBufferPointer<Double>, example n: Int, into x: UnsafeMutableBufferPointer<Double>) {
        let spatial = outHeight * outWidth
        for c in 0..<channels {
            let plane = (n * channels + c) * height * width
            for ki in 0..<size {
                for kj in 0..<size {
                    let row = (c * size + ki) * size + kj
                    for oi in 0..<outHeight {
                        let i = oi * stride + ki - padding
                        guard i >= 0 && i < height else { continue }
                        for oj in 0..<outWidth {
                            let j = oj * stride + kj - padding
                            if j >= 0 && j < width { x[plane + i * width + j] += columns[row * spatial + oi * outWidth + oj] }
                        }
                    }
                }
            }
        }
    }

    /// row-major C[m×n] (+)= op(A) · op(B) through dgemm.
    static func gemm(_ a: UnsafePointer<Double>, transposeA: Bool, _ b: UnsafePointer<Double>, transposeB: Bool,
                     _ c: UnsafeMutablePointer<Double>, m: Int, n: Int, k: Int, accumulate: Bool) {
        _ = Tensor.blasConfigured
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n),
                    accumulate ? 1 : 0, c, Int32(n))
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

    /// Each window's largest entry, and where it is in x (the first one on a tie).
    func maxPool(_ x: Tensor) -> (output: Tensor, argmax: [Int]) {
        var out = [Double](), argmax = [Int]()
        out.reserveCapacity(batch * channels * outHeight * outWidth)
        argmax.reserveCapacity(out.capacity)
        x.storage.withUnsafeBufferPointer { xs in
            for plane in 0..<(batch * channels) {
                let base = plane * height * width
                for oi in 0..<outHeight {
                    for oj in 0..<outWidth {
                        var best = -Double.infinity, where_ = base + oi * stride * width + oj * stride
                        for ki in 0..<size {
                            for kj in 0..<size {
                                let offset = base + (oi * stride + ki) * width + oj * stride + kj
                                if xs[offset] > best || xs[offset].isNaN { best = xs[offset]; where_ = offset }
                            }
                        }
                        out.append(best); argmax.append(where_)
                    }
                }
            }
        }
        return (Tensor(shape: [batch, channels, outHeight, outWidth], storage: out), argmax)
    }

    /// Each window's mean.
    func averagePool(_ x: Tensor) -> Tensor {
        var out = [Double](repeating: 0, count: batch * channels * outHeight * outWidth)
        let scale = 1 / Double(size * size)
        for plane in 0..<(batch * channels) {
            let base = plane * height * width
            for oi in 0..<outHeight {
                for oj in 0..<outWidth {
                    var total = 0.0
                    for ki in 0..<size { for kj in 0..<size { total += x.storage[base + (oi * stride + ki) * width + oj * stride + kj] } }
                    out[(plane * outHeight + oi) * outWidth + oj] = total * scale
                }
            }
        }
        return Tensor(shape: [batch, channels, outHeight, outWidth], storage: out)
    }

    /// The upstream of each window, spread evenly over its entries (overlaps add up).
    func averagePoolBackward(_ upstream: Tensor) -> Tensor {
        var gradient = Tensor.zeros([batch, channels, height, width])
        let scale = 1 / Double(size * size)
        for plane in 0..<(batch * channels) {
            let base = plane * height * width
            for oi in 0..<outHeight {
                for oj in 0..<outWidth {
                    let g = upstream.storage[(plane * outHeight + oi) * outWidth + oj] * scale
                    for ki in 0..<size { for kj in 0..<size { gradient.storage[base + (oi * stride + ki) * width + oj * stride + kj] += g } }
                }
            }
        }
        return gradient
    }
}

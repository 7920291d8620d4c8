// The plain loops every kernel is tested against (AutogradTests/KernelTests.swift): written for
// reading, not speed, one entry at a time from the definition. `Kernels.gemm` also falls back to
// `Reference.gemm` when no OpenBLAS can be loaded.

extension Kernels {
    public enum Reference {
        /// C = op(A)·op(B) + beta·C, row-major, one dot product per entry.
        public static func gemm<T: BinaryFloatingPoint>(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                                        _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                                                        beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int) {
            for i in 0..<m {
                for j in 0..<n {
                    var sum: T = 0
                    for p in 0..<k {
                        let x = transposeA ? a[p * lda + i] : a[i * lda + p]
                        let y = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                        sum += x * y
                    }
                    c[i * ldc + j] = beta == 0 ? sum : sum + beta * c[i * ldc + j]
                }
            }
        }

        /// The entry of x under window position (oi, oj), offset (ki, kj), of channel c and example b; 0 in the padding.
        static func entry<T: BinaryFloatingPoint>(_ x: [T], _ w: Window, _ planes: Planes, c: Int, b: Int, oi: Int, oj: Int, ki: Int, kj: Int) -> T {
            let i = oi * w.stride + ki - w.padding, j = oj * w.stride + kj - w.padding
            guard i >= 0, i < w.height, j >= 0, j < w.width else { return 0 }
            return x[planes.index(c, b) * w.inputPlane + i * w.width + j]
        }

        public static func im2col<T: BinaryFloatingPoint>(_ x: [T], _ w: Window, _ planes: Planes, examples: Range<Int>) -> [T] {
            var columns: [T] = []
            for c in 0..<w.channels { for ki in 0..<w.size { for kj in 0..<w.size {
                for b in examples { for oi in 0..<w.outHeight { for oj in 0..<w.outWidth {
                    columns.append(entry(x, w, planes, c: c, b: b, oi: oi, oj: oj, ki: ki, kj: kj))
                } } }
            } } }
            return columns
        }

        /// x with the columns added back at the positions `im2col` read them from.
        public static func col2im<T: BinaryFloatingPoint>(_ columns: [T], _ w: Window, _ planes: Planes, examples: Range<Int>, into x: [T]) -> [T] {
            var x = x, index = 0
            for c in 0..<w.channels { for ki in 0..<w.size { for kj in 0..<w.size {
                for b in examples { for oi in 0..<w.outHeight { for oj in 0..<w.outWidth {
                    let i = oi * w.stride + ki - w.padding, j = oj * w.stride + kj - w.padding
                    if i >= 0, i < w.height, j >= 0, j < w.width { x[planes.index(c, b) * w.inputPlane + i * w.width + j] += columns[index] }
                    index += 1
                } } }
            } } }
            return x
        }

        /// Each window's largest entry (NaN wins, the last NaN over earlier ones) and its offset in x.
        public static func maxPool<T: BinaryFloatingPoint>(_ x: [T], _ w: Window, count: Int) -> (values: [T], argmax: [Int]) {
            var values: [T] = [], argmax: [Int] = []
            for plane in 0..<count { for oi in 0..<w.outHeight { for oj in 0..<w.outWidth {
                var best = -T.infinity, at = plane * w.inputPlane + oi * w.stride * w.width + oj * w.stride
                for ki in 0..<w.size { for kj in 0..<w.size {
                    let offset = plane * w.inputPlane + (oi * w.stride + ki) * w.width + oj * w.stride + kj
                    if x[offset] > best || x[offset].isNaN { best = x[offset]; at = offset }
                } }
                values.append(best); argmax.append(at)
            } } }
            return (values, argmax)
        }

        public static func avgPool<T: BinaryFloatingPoint>(_ x: [T], _ w: Window, count: Int) -> [T] {
            var values: [T] = []
            for plane in 0..<count { for oi in 0..<w.outHeight { for oj in 0..<w.outWidth {
                var sum: T = 0
                for ki in 0..<w.size { for kj in 0..<w.size { sum += x[plane * w.inputPlane + (oi * w.stride + ki) * w.width + oj * w.stride + kj] } }
                values.append(sum / T(w.size * w.size))
            } } }
            return values
        }

        public static func avgPoolBackward<T: BinaryFloatingPoint>(_ dy: [T], _ w: Window, count: Int) -> [T] {
            var dx = [T](repeating: 0, count: count * w.inputPlane), index = 0
            for plane in 0..<count { for oi in 0..<w.outHeight { for oj in 0..<w.outWidth {
                for ki in 0..<w.size { for kj in 0..<w.size { dx[plane * w.inputPlane + (oi * w.stride + ki) * w.width + oj * w.stride + kj] += dy[index] / T(w.size * w.size) } }
                index += 1
            } } }
            return dx
        }

        /// log(e^x_j / Σ e^x), straight from the definition in Double.
        public static func logSoftmax<T: BinaryFloatingPoint>(_ x: [T], width: Int) -> [T] {
            stride(from: 0, to: x.count, by: width).flatMap { row -> [T] in
                let values = x[row..<(row + width)].map { Double($0) }
                let total = values.map { _exp($0) }.reduce(0, +)
                return values.map { T($0 - _log(total)) }
            }
        }

        /// dx_j = dy_j − softmax_j · Σ dy, from the softmax computed again from y = log-softmax.
        public static func logSoftmaxBackward<T: BinaryFloatingPoint>(_ y: [T], _ dy: [T], width: Int) -> [T] {
            stride(from: 0, to: y.count, by: width).flatMap { row -> [T] in
                let sum = dy[row..<(row + width)].reduce(0, +)
                return (row..<(row + width)).map { dy[$0] - T(_exp(Double(y[$0]))) * sum }
            }
        }
    }
}

import Foundation
@usableFromInline func _exp(_ x: Double) -> Double { Foundation.exp(x) }
@usableFromInline func _log(_ x: Double) -> Double { Foundation.log(x) }

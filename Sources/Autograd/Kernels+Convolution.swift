import CKernels
import Foundation

// Convolutions of the Float32 training path through oneDNN (CKernels/convolution.c), when it can be
// loaded: forward, and backward to the weights, bias and input, in oneDNN's blocked layouts with its
// JIT kernels; else im2col and `gemm` (Kernels+Windows.swift). Tested against im2col and the
// reference product (KernelTests) and, through the training path, against the engine's graph.

extension Kernels {
    /// oneDNN's name and version when convolutions go through it; nil when they run as im2col and
    /// `gemm` (no libdnnl.so.2, or `BACKPROP_CONVOLUTIONS=im2col` in the environment).
    public static let convolutionLibrary: String? = {
        if ProcessInfo.processInfo.environment["BACKPROP_CONVOLUTIONS"] == "im2col" { return nil }
        return ck_dnnl_version().map { String(cString: $0) }
    }()

    /// Why convolutions do not use oneDNN, in words (nil when they do).
    public static var convolutionFallback: String? {
        guard convolutionLibrary == nil else { return nil }
        if ProcessInfo.processInfo.environment["BACKPROP_CONVOLUTIONS"] == "im2col" { return "BACKPROP_CONVOLUTIONS=im2col" }
        return ck_dnnl_error().map { String(cString: $0) } ?? "oneDNN not loaded"
    }

    /// One convolution at one batch size through oneDNN, channel-major in and out ([C, B, H, W] →
    /// [F, B, H', W']), weights [F, C, K, K]. Not to be shared between threads.
    public final class Convolution {
        private let plan: OpaquePointer
        public let window: Window, filters: Int, batch: Int
        /// oneDNN's kernels for the three passes ("jit:avx512_core" …).
        public var implementation: String { String(cString: ck_conv_impl(plan)) }

        /// nil when oneDNN is not in use or refuses the shape. `blockedInput` / `blockedOutput`: x and dx,
        /// y and dy, are in oneDNN's blocked layout (`Kernels.Blocked`) rather than channel-major planes.
        public init?(_ window: Window, filters: Int, batch: Int, inputGradient: Bool, blockedInput: Bool = false, blockedOutput: Bool = false) {
            guard convolutionLibrary != nil, batch > 0,
                  !blockedInput || window.channels % Blocked.lanes == 0, !blockedOutput || filters % Blocked.lanes == 0 else { return nil }
            var error = [CChar](repeating: 0, count: 256)
            guard let plan = ck_conv_create(Int32(batch), Int32(window.channels), Int32(window.height), Int32(window.width),
                                            Int32(filters), Int32(window.size), Int32(window.stride), Int32(window.padding),
                                            inputGradient ? 1 : 0, blockedInput ? 1 : 0, blockedOutput ? 1 : 0, &error, error.count) else { return nil }
            (self.plan, self.window, self.filters, self.batch) = (plan, window, filters, batch)
        }
        deinit { ck_conv_destroy(plan) }

        /// y = conv(x, w) + b.
        public func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
            guard ck_conv_forward(plan, x, w, b, y) == 1 else { fatalError("oneDNN's convolution forward failed") }
        }

        /// dw and db, and dx when given, from dy (after `forward` on the same x).
        public func backward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ w: UnsafePointer<Float>,
                             dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>) {
            guard ck_conv_backward(plan, x, dy, w, dx, dw, db) == 1 else { fatalError("oneDNN's convolution backward failed") }
        }
    }
}

extension Kernels {
    /// oneDNN's blocked layout `[B, C/16, H, W, 16]` (its "aBcd16b"), in which its AVX-512 convolutions
    /// work. The Float32 path keeps a batch in it from a convolution with a multiple of 16 filters to
    /// the next convolution or flatten, so no reorder runs around the convolutions (CKernels/layers.c).
    public enum Blocked {
        public static let lanes = 16

        /// 2 × 2 max pooling, stride 2, over `groups` = B·C/16 blocks of height × width × 16.
        public static func maxPool(_ x: UnsafePointer<Float>, groups: Int, height: Int, width: Int,
                                   into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
            ck_maxpool2_blocked_f32(x, groups, height, width, y, argmax)
        }

        /// Its backward: each window's upstream to the entry that won it, 0 elsewhere.
        public static func maxPoolBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, groups: Int, height: Int, width: Int,
                                           into dx: UnsafeMutablePointer<Float>) {
            ck_maxpool2_blocked_backward_f32(dy, argmax, groups, height, width, dx)
        }

        /// `[B, C/16, P, 16]` to rows `[B, C·P]`, as flatten gives them to a linear layer.
        public static func toRows(_ x: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, into y: UnsafeMutablePointer<Float>) {
            ck_blocked_to_rows_f32(x, batch, channels, plane, y)
        }

        /// Rows `[B, C·P]` to `[B, C/16, P, 16]`.
        public static func fromRows(_ x: UnsafePointer<Float>, batch: Int, channels: Int, plane: Int, into y: UnsafeMutablePointer<Float>) {
            ck_rows_to_blocked_f32(x, batch, channels, plane, y)
        }
    }
}

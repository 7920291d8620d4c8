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

        /// nil when oneDNN is not in use or refuses the shape.
        public init?(_ window: Window, filters: Int, batch: Int, inputGradient: Bool) {
            guard convolutionLibrary != nil, batch > 0 else { return nil }
            var error = [CChar](repeating: 0, count: 256)
            guard let plan = ck_conv_create(Int32(batch), Int32(window.channels), Int32(window.height), Int32(window.width),
                                            Int32(filters), Int32(window.size), Int32(window.stride), Int32(window.padding),
                                            inputGradient ? 1 : 0, &error, error.count) else { return nil }
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

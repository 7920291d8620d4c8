import CKernels
import Foundation

/// The one kernels layer: every matrix product of the engine and of the Float32 training path, the
/// window moves of convolutions and pooling (Kernels+Windows.swift), log-softmax and the elementwise
/// activations (Kernels+Elementwise.swift). Each kernel has a plain reference loop
/// (`Kernels.Reference`, Kernels+Reference.swift) and a test against it (AutogradTests/KernelTests).
///
/// Products go to OpenBLAS, loaded at the first product with its core chosen from the CPU's ISA
/// (see `Kernels.Library` and CKernels/include/ckernels.h); without OpenBLAS they run the reference
/// loop, and `report` says so.
public enum Kernels {
    // MARK: - The CPU

    /// What cpuid says about the processor.
    public struct CPU: Sendable, Equatable {
        public let vendor: String, brand: String
        public let family: Int, model: Int, stepping: Int
        /// The vector instruction sets usable here (the CPU has them and the OS saves their registers).
        public let features: [String]
        /// The widest usable level: "AVX-512", "AVX2", "AVX" or "SSE".
        public let vectorISA: String

        public static let current: CPU = {
            var raw = ck_cpu()
            ck_cpu_identify(&raw)
            func text<T>(_ tuple: T) -> String {
                withUnsafeBytes(of: tuple) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                }
            }
            let avx = raw.avx != 0 && raw.osAVX != 0
            let avx2 = avx && raw.avx2 != 0 && raw.fma != 0
            let avx512 = avx2 && raw.osAVX512 != 0 && raw.avx512f != 0 && raw.avx512bw != 0 && raw.avx512dq != 0
                && raw.avx512vl != 0 && raw.avx512cd != 0
            var features: [String] = []
            if avx { features.append("AVX") }
            if avx2 { features += ["AVX2", "FMA"] }
            if avx512 {
                features.append("AVX-512 (F, BW, DQ, VL, CD)")
                if raw.avx512vnni != 0 { features.append("AVX-512 VNNI") }
                if raw.avx512bf16 != 0 { features.append("AVX-512 BF16") }
            }
            return CPU(vendor: text(raw.vendor), brand: text(raw.brand), family: Int(raw.family), model: Int(raw.model),
                       stepping: Int(raw.stepping), features: features,
                       vectorISA: avx512 ? "AVX-512" : avx2 ? "AVX2" : avx ? "AVX" : "SSE")
        }()
    }

    // MARK: - The library

    /// The matrix-product library as loaded: which core it runs and why.
    public struct Library: Sendable, Equatable {
        /// "OpenBLAS 0.3.21 …" (its config line), or nil when none could be loaded.
        public let name: String?
        /// The kernel family OpenBLAS runs: "SkylakeX", "Haswell", "Prescott", …; "reference loops" without a library.
        public let core: String
        /// The vector level of that core ("AVX-512", "AVX2", "AVX", "SSE").
        public let coreISA: String
        /// How the core was chosen, in words.
        public let choice: String
        /// True when the core is below the CPU's vector level (a generic kernel): never silent, `report` flags it.
        public let belowCPU: Bool
    }

    /// The core to ask OpenBLAS for on this CPU, from its ISA features (not its model number, which a
    /// library older than the CPU does not know). Measured on an AMD EPYC (Zen 5, family 26 model 2),
    /// one thread, sgemm at the CNN's shapes: SkylakeX 107–120 GFLOP/s, Haswell (what OpenBLAS 0.3.21
    /// picks there itself) 16–24, Prescott (its pick on an Intel family 6 model 207) 4–6.
    public static func coreType(for cpu: CPU) -> String? {
        switch cpu.vectorISA {
        case "AVX-512": "SkylakeX"
        case "AVX2": "Haswell"
        default: nil
        }
    }

    /// The vector level of an OpenBLAS x86-64 core name.
    public static func isa(ofCore core: String) -> String {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": "AVX-512"
        case "haswell", "zen", "excavator": "AVX2"
        case "sandybridge", "bulldozer", "piledriver", "steamroller": "AVX"
        default: "SSE"
        }
    }

    static let rank = ["SSE": 0, "AVX": 1, "AVX2": 2, "AVX-512": 3]

    /// OpenBLAS, loaded once (at the first product or the first look at `library`).
    ///
    /// The core: `BACKPROP_CORETYPE` if set (the escape hatch, always obeyed); else `OPENBLAS_CORETYPE`
    /// if set and not below the CPU's vector level; else the core for the CPU's ISA (`coreType(for:)`).
    /// An `OPENBLAS_CORETYPE` below the CPU's level (this workplace sets `Haswell` on machines with
    /// AVX-512, for older OpenBLAS builds) is overridden, and the report says so.
    public static let library: Library = {
        let cpu = CPU.current
        let environment = ProcessInfo.processInfo.environment
        let forced = environment["BACKPROP_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let inherited = environment["OPENBLAS_CORETYPE"].flatMap { $0.isEmpty ? nil : $0 }
        let ideal = coreType(for: cpu)
        let inheritedBelow = inherited.map { (rank[isa(ofCore: $0)] ?? 0) < (rank[cpu.vectorISA] ?? 0) } ?? false
        let wanted: String?
        let why: String
        if let forced {
            (wanted, why) = (forced, "BACKPROP_CORETYPE=\(forced) from the environment")
        } else if let inherited, !(inheritedBelow && ideal != nil) {
            (wanted, why) = (nil, "OPENBLAS_CORETYPE=\(inherited) from the environment")
        } else if let ideal {
            let note = inherited.map { "; OPENBLAS_CORETYPE=\($0) from the environment is below the CPU's \(cpu.vectorISA), overridden (BACKPROP_CORETYPE=\($0) keeps it)" } ?? ""
            (wanted, why) = (ideal, "chosen from the CPU's \(cpu.vectorISA) features (OPENBLAS_CORETYPE=\(ideal) while loading)\(note)")
        } else {
            (wanted, why) = (nil, "OpenBLAS's own detection (no AVX2 here)")
        }
        var error = [CChar](repeating: 0, count: 512)
        let status = ck_blas_load(wanted, &error, error.count)
        guard status != 0 else {
            let text = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return Library(name: nil, core: "reference loops", coreISA: "SSE",
                           choice: "no OpenBLAS could be loaded (\(text)): products run the plain reference loops, slowly",
                           belowCPU: cpu.vectorISA != "SSE")
        }
        if environment["OPENBLAS_NUM_THREADS"] == nil { ck_blas_set_threads(1) }
        let core = String(cString: ck_blas_corename())
        let coreISA = isa(ofCore: core)
        let choice = status == 2 ? "OpenBLAS was loaded by another library first and chose its core itself" : why
        let below = (rank[coreISA] ?? 0) < (rank[cpu.vectorISA] ?? 0)
        return Library(name: String(cString: ck_blas_config()), core: core, coreISA: coreISA, choice: choice, belowCPU: below)
    }()

    /// Float multiply-add throughput (GFLOP/s) on one thread and on two at once, measured once (about
    /// 0.1 s): whether the machine's two logical CPUs are two cores or one core's two hyperthreads.
    public static let vectorThroughput: (one: Double, two: Double) = {
        _ = ck_fma_gflops(1, 2_000_000)     // warm up: frequency, page faults
        let one = (0..<3).map { _ in ck_fma_gflops(1, 10_000_000) }.max() ?? 0
        let two = (0..<3).map { _ in ck_fma_gflops(2, 10_000_000) }.max() ?? 0
        return (one, two)
    }()

    /// The lines `backprop doctor` and every benchmark's header print.
    public static func report() -> [String] {
        let cpu = CPU.current, lib = library
        var lines = [
            "CPU: \(cpu.brand.isEmpty ? cpu.vendor : cpu.brand) (\(cpu.vendor), family \(cpu.family) model \(cpu.model) stepping \(cpu.stepping)), \(ProcessInfo.processInfo.activeProcessorCount) cores",
            "vector ISA: \(cpu.vectorISA) (\(cpu.features.isEmpty ? "no AVX" : cpu.features.joined(separator: ", ")))",
            "kernel library: \(lib.name ?? "none")",
            "kernel core: \(lib.core) (\(lib.coreISA)), \(lib.choice)",
        ]
        if let convolutions = convolutionLibrary {
            lines.append("convolutions: \(convolutions), its JIT kernels in blocked layouts (forward, backward to weights and input)")
        } else {
            lines.append("convolutions: im2col + \(lib.name == nil ? "reference products" : "OpenBLAS sgemm") (oneDNN not in use: \(convolutionFallback ?? "?"))")
        }
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let (one, two) = vectorThroughput
            let ratio = two / max(one, 1e-9)
            // Other programs running lower the second figure as much as hyperthreads sharing one core
            // would: the load average says which (seen on this kind of machine: 1.98× quiet, 0.73× while
            // a build ran on the same two CPUs).
            var load = [Double](repeating: 0, count: 1)
            let loadText = getloadavg(&load, 1) == 1 ? String(format: ", load average %.1f", load[0]) : ""
            let verdict = ratio >= 1.7 ? "two cores' worth of vector units"
                : "a second thread adds little now: the CPUs are hyperthreads of one core, or busy with other programs"
            lines.append(String(format: "vector units: %.0f GFLOP/s on one thread, %.0f on two at once (%.2f×%@): %@", one, two, ratio, loadText, verdict))
        }
        if lib.belowCPU {
            lines.append("WARNING: the kernel core (\(lib.coreISA)) is below this CPU's \(cpu.vectorISA): products run generic kernels, several times slower. Unset BACKPROP_CORETYPE, or load the workbench before any other library that loads OpenBLAS.")
        }
        return lines
    }

    // MARK: - Threads

    /// Threads the Float32 path's large products may use: `OPENBLAS_NUM_THREADS`, else up to 2.
    public static let cores: Int = {
        if let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int(text), n >= 1 { return n }
        return Swift.min(2, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The engine's products run on one thread: they are small (a mini-batch of 32), and with two
    /// threads OpenBLAS spent more time waking and parking its second thread than multiplying
    /// (measured: an MNIST MLP epoch 16.0 s with 9.6 s in the kernel, against 7.8 s and 0.3 s on one).
    /// `OPENBLAS_NUM_THREADS` in the environment still wins.
    static let engineThreads: Int = {
        if let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let n = Int(text), n >= 1 { return n }
        return 1
    }()

    nonisolated(unsafe) private static var threads = 0
    private static let threadLock = NSLock()
    /// Set while two replicas of a network run side by side: every product then stays on its caller's thread.
    nonisolated(unsafe) public private(set) static var oneThreadEach = false

    static func setThreads(_ wanted: Int) {
        guard wanted != threads else { return }
        threadLock.lock(); defer { threadLock.unlock() }
        if wanted != threads { ck_blas_set_threads(Int32(wanted)); threads = wanted }
    }

    /// Runs `body` with subnormal floats (below 1.2e-38) read and written as zero on this thread (x86's
    /// FTZ and DAZ), then restores the thread's state. The Float32 training path runs this way: a
    /// momentum buffer decaying towards zero passes through subnormals, each of which costs a
    /// microcode assist of about a hundred cycles (an MLP epoch's momentum updates: 19 ms with normal
    /// numbers, 578 ms with subnormal gradients). Values that small change no trained figure.
    public static func flushingSubnormals<T>(_ body: () throws -> T) rethrows -> T {
        let previous = ck_denormals_flush()
        defer { ck_denormals_restore(previous) }
        return try body()
    }

    /// Runs `body(0)` and `body(1)` on two threads, each with single-threaded products, and returns both results.
    /// Each thread flushes subnormals as its caller does (`flushingSubnormals`).
    /// - Precondition: the two calls touch disjoint memory.
    public static func pair<T>(_ body: (Int) -> T) -> [T] {
        _ = library
        setThreads(1)
        oneThreadEach = true
        defer { oneThreadEach = false }
        var results = [T?](repeating: nil, count: 2)
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            withoutActuallyEscaping(body) { body in
                nonisolated(unsafe) let shared = body
                let callerFlushes = ck_denormals_flushed() != 0
                DispatchQueue.concurrentPerform(iterations: 2) { i in
                    out[i] = callerFlushes ? flushingSubnormals { shared(i) } : shared(i)
                }
            }
        }
        return results.map { $0! }
    }

    // MARK: - Matrix products

    /// Row-major `C[m×n] = op(A)·op(B) + beta·C`, op transposing when asked; `lda`, `ldb`, `ldc` are
    /// the row strides as stored. Through OpenBLAS (on up to `cores` threads for products of at least
    /// 4 M multiply-adds when `parallel`, else one), or `Reference.gemm` without it.
    public static func gemm<T: KernelScalar>(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                             _ a: UnsafePointer<T>, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
                                             beta: T, _ c: UnsafeMutablePointer<T>, _ ldc: Int, parallel: Bool = true) {
        guard m > 0, n > 0 else { return }
        if library.name == nil {
            Reference.gemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta: beta, c, ldc)
            return
        }
        setThreads(parallel ? (m * n * k >= 4_000_000 && !oneThreadEach ? cores : 1) : engineThreads)
        T.blasGemm(transposeA, transposeB, m, n, k, a, lda, b, ldb, beta, c, ldc)
    }
}

/// A scalar the kernels run on: `Float` (the training path) and `Double` (the engine).
public protocol KernelScalar: BinaryFloatingPoint {
    /// OpenBLAS's product for this type (sgemm or dgemm), row-major, alpha 1.
    static func blasGemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                         _ a: UnsafePointer<Self>, _ lda: Int, _ b: UnsafePointer<Self>, _ ldb: Int,
                         _ beta: Self, _ c: UnsafeMutablePointer<Self>, _ ldc: Int)
    /// e^x, for the reference loops and log-softmax.
    static func exponential(_ x: Self) -> Self
    static func logarithm(_ x: Self) -> Self
}

extension Float: KernelScalar {
    public static func blasGemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                                _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        ck_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exponential(_ x: Float) -> Float { Foundation.exp(x) }
    @inlinable public static func logarithm(_ x: Float) -> Float { Foundation.log(x) }
}

extension Double: KernelScalar {
    public static func blasGemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int,
                                _ a: UnsafePointer<Double>, _ lda: Int, _ b: UnsafePointer<Double>, _ ldb: Int,
                                _ beta: Double, _ c: UnsafeMutablePointer<Double>, _ ldc: Int) {
        ck_dgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
    @inlinable public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    @inlinable public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
}

extension Kernels {
    /// The best of `repeats` timings of one `Float` product `[m×k]·[k×n]` on one thread, in GFLOP/s:
    /// `backprop doctor`'s check that the chosen core is fast here (the CNN's largest product by default).
    public static func gemmRate(m: Int = 32, n: Int = 12_544, k: Int = 400, repeats: Int = 5) -> Double {
        let a = [Float](repeating: 0.001, count: m * k), b = [Float](repeating: 0.002, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        setThreads(1)
        oneThreadEach = true
        defer { oneThreadEach = false }
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            gemm(false, false, m, n, k, a, k, b, n, beta: 0, &c, n)
            best = Swift.min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }
}

import ArgumentParser
import Autograd
import Foundation

/// `backprop doctor`: what the kernels run on here (the CPU, its vector ISA, the kernel library and
/// the core it chose), and one timed product. Exit 1 when the core is below the CPU's ISA.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "The CPU, its vector ISA (AVX2, AVX-512), the kernel library and the kernel core it runs, and one timed product.",
        discussion: """
            OpenBLAS is loaded with its core chosen from the CPU's ISA features (SkylakeX with AVX-512,
            Haswell with AVX2); BACKPROP_CORETYPE forces a core. Exit status 1 when the core is below the CPU's ISA.
            """)

    func run() throws {
        for line in Kernels.report() { print(line) }
        let rate = Kernels.gemmRate()
        print(String(format: "sgemm [32×400]·[400×12544] (the MNIST CNN's largest product), one thread: %.1f GFLOP/s", rate))
        if Kernels.library.belowCPU { throw ExitCode(1) }
    }
}

extension BenchCommand {
    /// The header every benchmark prints first: what the kernels run on.
    static func printKernels() {
        for line in Kernels.report() { print(line) }
    }
}

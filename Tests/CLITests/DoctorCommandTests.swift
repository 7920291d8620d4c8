import Foundation
import Testing

// `backprop doctor`: the CPU, its vector ISA, the kernel library and its core, and the exit status.

@Suite("backprop doctor")
struct DoctorCommandTests {
    @Test("doctor names the CPU, the ISA, the library, the core and the convolutions, and times one product")
    func report() throws {
        let result = try CLI.run(["doctor"])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count >= 6, "\(result.stdout)")
        for prefix in ["CPU: ", "vector ISA: ", "kernel library: ", "kernel core: ", "convolutions: ", "sgemm "] {
            #expect(lines.contains { $0.hasPrefix(prefix) }, "no line starts with \(prefix): \(result.stdout)")
        }
        // No core below the CPU's ISA unless it is forced; then the status is 0.
        #expect(result.status == 0 || lines.contains { $0.hasPrefix("WARNING") }, "\(result.stdout)\(result.stderr)")
    }

    @Test("a forced generic core is reported with a warning and exit status 1 on a CPU with AVX2 or AVX-512")
    func forcedGenericCore() throws {
        let plain = try CLI.run(["doctor"])
        guard plain.stdout.contains("vector ISA: AVX2") || plain.stdout.contains("vector ISA: AVX-512") else { return }
        let result = try CLI.run(["doctor"], environment: ["BACKPROP_CORETYPE": "Prescott"])
        #expect(result.status == 1, "\(result.stdout)")
        #expect(result.stdout.contains("kernel core: Prescott (SSE)"), "\(result.stdout)")
        #expect(result.stdout.contains("WARNING: the kernel core (SSE) is below this CPU's"), "\(result.stdout)")
    }
}

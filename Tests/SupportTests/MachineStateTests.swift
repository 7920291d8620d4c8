import Benchmarks
import Testing

/// `backprop bench` calls a run quiet only when it was (issue 31, item 5).
@Suite("The machine's state around a benchmark")
struct MachineStateTests {
    @Test("busy CPUs or a high load make a run not quiet, and the line says so")
    func verdicts() {
        let idle = MachineState(busyFraction: 0.01, loadAverages: [0.10, 0.20, 0.30], cores: 2)
        #expect(idle.isQuiet)
        #expect(idle.describe("before") == "machine before: CPUs 1% busy over 1 s, load average 0.10 0.20 0.30 on 2 cores: quiet")
        let busy = MachineState(busyFraction: 0.60, loadAverages: [0.10, 0.20, 0.30], cores: 2)
        let loaded = MachineState(busyFraction: 0.01, loadAverages: [12.0, 11.0, 9.0], cores: 2)
        for state in [busy, loaded] {
            #expect(!state.isQuiet)
            #expect(state.describe("after").contains(": NOT quiet (quiet is under 5% busy and a 1-minute load under 0.5;"), "\(state.describe("after"))")
        }
        // The limits are per core: a load of 0.9 is quiet on 4 cores and not on 2.
        #expect(MachineState(busyFraction: 0, loadAverages: [0.9, 0, 0], cores: 4).isQuiet)
        #expect(!MachineState(busyFraction: 0, loadAverages: [0.9, 0, 0], cores: 2).isQuiet)
    }

    @Test("on Linux the state is read from /proc, with the load averages and a busy share in 0...1")
    func sampled() throws {
        let state = try #require(MachineState.sample(interval: 0.2))
        #expect(state.loadAverages.count == 3 && state.cores >= 1)
        #expect((0...1).contains(state.busyFraction))
    }
}

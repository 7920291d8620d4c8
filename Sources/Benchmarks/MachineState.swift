import Foundation

/// How busy the machine is around a benchmark, so that no figure is called quiet when it was not
/// (issue 31: ratios against PyTorch move with the load). Read from Linux's `/proc/stat` (CPU time
/// spent by every process, sampled over an interval) and `/proc/loadavg`.
///
/// A run is **quiet** when, over the sampling interval before it (one second), the CPUs were busy
/// less than `quietBusyFraction` of the time, and the 1-minute load average is below
/// `quietLoadPerCore` per core. Both are printed, with the verdict; a run that is not quiet says so.
public struct MachineState: Sendable, Equatable {
    /// The share of all CPUs' time spent on work (not idle, not waiting for I/O) while sampling, 0...1.
    public let busyFraction: Double
    /// The load averages over 1, 5 and 15 minutes.
    public let loadAverages: [Double]
    public let cores: Int

    public static let quietBusyFraction = 0.05
    public static let quietLoadPerCore = 0.25

    public init(busyFraction: Double, loadAverages: [Double], cores: Int) {
        self.busyFraction = busyFraction
        self.loadAverages = loadAverages
        self.cores = cores
    }

    public var isQuiet: Bool {
        busyFraction < Self.quietBusyFraction && (loadAverages.first ?? .infinity) < Self.quietLoadPerCore * Double(max(cores, 1))
    }

    /// One line: `machine before: CPUs 3% busy over 1 s, load average 0.12 0.30 0.41 on 2 cores: quiet`.
    public func describe(_ when: String) -> String {
        let load = loadAverages.map { String(format: "%.2f", $0) }.joined(separator: " ")
        let verdict = isQuiet
            ? "quiet"
            : "NOT quiet (quiet is under \(Int(Self.quietBusyFraction * 100))% busy and a 1-minute load under \(Self.quietLoadPerCore * Double(max(cores, 1))); "
                + "other work shares the cores, so these figures are not comparable with a quiet run's)"
        return String(format: "machine %@: CPUs %.0f%% busy over 1 s, load average %@ on %d cores: %@",
                      when, busyFraction * 100, load, cores, verdict)
    }

    /// Samples `/proc/stat` twice, `interval` seconds apart. Nil where /proc is not readable.
    public static func sample(interval: Double = 1) -> MachineState? {
        guard let first = cpuTimes() else { return nil }
        Thread.sleep(forTimeInterval: interval)
        guard let second = cpuTimes(), second.total > first.total else { return nil }
        let busy = Double(second.busy - first.busy) / Double(second.total - first.total)
        return MachineState(busyFraction: min(max(busy, 0), 1), loadAverages: loadAverages() ?? [],
                            cores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The first line of /proc/stat, `cpu user nice system idle iowait irq softirq steal …`, in ticks.
    static func cpuTimes() -> (busy: UInt64, total: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard ticks.count >= 5 else { return nil }
        let idle = ticks[3] + ticks[4]
        let total = ticks.reduce(0, +)
        return (total - idle, total)
    }

    static func loadAverages() -> [Double]? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let values = text.split(separator: " ").prefix(3).compactMap { Double($0) }
        return values.count == 3 ? values : nil
    }
}

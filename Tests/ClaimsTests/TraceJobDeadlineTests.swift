import Autograd
import Claims
import Support
import Testing

/// A program traced under the server's deadline (EvaluationDeadline): stopped, it is failed work
/// (exit 1) with one sentence, not a mistake in the program.
@Suite("a trace under a deadline")
struct TraceJobDeadlineTests {
    @Test("a tensor program past its deadline fails with the deadline's sentence; in time it is traced")
    func deadline() throws {
        let source = "f = sum(tanh(x * x))"
        do {
            _ = try EvaluationDeadline.$current.withValue(.now - .seconds(1)) {
                try TraceJob(source: source, inputs: "x=[1,2,3]")
            }
            Issue.record("the trace ran past its deadline")
        } catch let error as WorkbenchFailure {
            #expect(error.status == .failed)
            #expect(error.what == "the computation took longer than its time limit and was stopped")
        } catch { Issue.record("not a WorkbenchFailure: \(error)") }
        let job = try EvaluationDeadline.$current.withValue(.now + .seconds(3600)) {
            try TraceJob(source: source, inputs: "x=[1,2,3]")
        }
        #expect(job.trace.hasGradients)
        #expect(try !job.gradientCheck().stopped)
    }
}

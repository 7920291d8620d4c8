import Autograd
import Claims

/// How many bytes a trace's JSON (`TraceReport.withJSONBytes`) will take, counted from the trace
/// before any of it is written, so that a reply over the limit is refused (413, with the size)
/// without being built. Counted generously: a number takes at most 24 bytes and its separator 2;
/// nested arrays take a line break and their indentation each, which is what makes a one-entry
/// value of high rank large. Checked arithmetic throughout: `Int.max` when it overflows.
enum ReplyEstimate {
    /// The bytes of the trace's JSON, at most.
    static func trace(_ trace: Trace) -> Int {
        var total = Sum(1024)
        trace.nodes.withUnsafeBufferPointer { nodes in
            for index in nodes.indices {
                let node = nodes[index]
                total.add(400)
                total.add(node.label.utf8.count, times: 2)
                total.add(node.detail?.utf8.count ?? 0)
                total.add(value(node.storedValue))
                total.add(value(node.storedGradient))
            }
        }
        trace.edges.withUnsafeBufferPointer { edges in
            for index in edges.indices {
                let edge = edges[index]
                let local = edge.localGradient
                total.add(600)
                total.add(local.formula.utf8.count, times: 2)
                total.add(local.resultLabel.utf8.count + local.inputLabel.utf8.count)
                total.add(value(local.storedValue))
                total.add(value(edge.storedUpstream))
                total.add(value(edge.storedContribution))
            }
        }
        total.add(trace.forwardSteps.count + trace.backwardSteps.count, times: 22)
        return total.value
    }

    /// The bytes of `POST /api/check`'s reply, at most: the points tried (written once, and again in
    /// each claim that names one), each claim's values and text, and the report (`table()`), which
    /// shows the first point and each claim's values again.
    static func check(_ check: ClaimCheck) -> Int {
        func point(_ index: Int) -> Int {
            var total = Sum(16)
            guard check.points.indices.contains(index) else { return total.value }
            for (name, value) in check.points[index] { total.add(tensor(value), times: 2); total.add(name.utf8.count + 16, times: 2) }
            return total.value
        }
        var total = Sum(4096)
        for index in check.points.indices { total.add(point(index)) }
        total.add(point(0))   // the report's first line
        for result in check.results {
            total.add(600)
            total.add(result.claim.text.utf8.count, times: 8)
            total.add(result.explanation?.utf8.count ?? 0, times: 2)
            total.add(result.engineFormula?.utf8.count ?? 0)
            total.add(tensor(result.claimed), times: 2)
            total.add(tensor(result.engine), times: 2)
            total.add(point(result.pointIndex))
        }
        return total.value
    }

    /// The bytes of one value as `JSONWriter.tensor` writes it, at the deepest indentation a trace uses.
    static func value(_ value: TraceValue?) -> Int {
        guard case .tensor(let value)? = value else { return 26 }
        return tensor(value)
    }

    /// The bytes of one tensor written as JSON or as a table's text (never more than its JSON, indented).
    static func tensor(_ tensor: Tensor) -> Int {
        var total = Sum(tensor.count, times: 26)
        total.add(tensor.shape.count * 2 + 16)   // the shape, written beside it
        // The arrays of each level: a line break, the indentation (two spaces a level, below the
        // node's own three levels) and brackets each.
        var arrays = Sum(1)
        for (axis, length) in tensor.shape.enumerated() {
            total.add(arrays.value, times: 2 * (axis + 4) + 4)
            arrays.multiply(max(length, 1))
            if tensor.count == 0 { break }
        }
        return total.value
    }

    /// A non-negative sum that sticks at `Int.max` instead of overflowing.
    struct Sum {
        private(set) var value: Int
        init(_ value: Int, times factor: Int = 1) {
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            self.value = overflow ? .max : product
        }
        mutating func add(_ amount: Int, times factor: Int = 1) {
            let term = Sum(amount, times: factor).value
            let (sum, overflow) = value.addingReportingOverflow(term)
            value = overflow ? .max : sum
        }
        func adding(_ amount: Int, times factor: Int = 1) -> Int {
            var sum = self
            sum.add(amount, times: factor)
            return sum.value
        }
        mutating func multiply(_ factor: Int) {
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            value = overflow ? .max : product
        }
    }
}

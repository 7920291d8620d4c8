import Autograd

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

    /// The bytes of one value as `JSONWriter.tensor` writes it, at the deepest indentation a trace uses.
    static func value(_ value: TraceValue?) -> Int {
        guard case .tensor(let tensor)? = value else { return 26 }
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
        mutating func multiply(_ factor: Int) {
            let (product, overflow) = value.multipliedReportingOverflow(by: factor)
            value = overflow ? .max : product
        }
    }
}

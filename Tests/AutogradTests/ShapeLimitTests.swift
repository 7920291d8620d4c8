import Autograd
import Foundation
import Testing

// Issue 30 items 1 and 4 at the library level: every size is checked before the work, empty
// tensors included, and the documented throwing functions throw instead of stopping the process.

@Suite("Sizes and rank: checked before the work (issue 30)")
struct ShapeLimitTests {
    /// `[1, 2]` indexed `[0:0]`: the empty vector the reproducers reshape.
    static func emptyVector(in graph: Graph) throws -> NodeID {
        try graph.apply(.index, graph.input("W", Tensor(vector: [1, 2])), attribute: .index([.slice(start: 0, stop: 0, step: nil)]))
    }

    @Test("extent, strides and bytes are checked arithmetic; zeros do not hide huge axes")
    func arithmetic() {
        let huge = [0, 999_999_999, 999_999_999, 999_999_999]
        #expect(GraphLimits.entries(of: huge) == 0)
        #expect(GraphLimits.extent(of: huge) == nil)
        #expect(GraphLimits.strides(of: huge) == nil)
        #expect(GraphLimits.extent(of: [300_000_000, 0]) == 300_000_000)
        #expect(GraphLimits.strides(of: [2, 0, 4]) == [0, 4, 1])
        #expect(GraphLimits.strides(of: [2, 3, 4]) == [12, 4, 1] && GraphLimits.strides(of: []) == [])
        #expect(GraphLimits.bytes(ofEntries: 1 << 20) == 8 << 20 && GraphLimits.bytes(ofEntries: .max / 2) == nil)
        #expect(GraphLimits.standard.problem(with: [1024, 1024]) == nil)
        #expect(GraphLimits.standard.problem(with: [1024, 1025])?.contains("it would take 8.4 MB") == true)
        #expect(GraphLimits.unlimited.problem(with: Array(repeating: 1, count: 17)) == "the result would have 17 axes; a value has at most 16")
        #expect(GraphLimits.unlimited.problem(with: Array(repeating: 1, count: 16)) == nil)
    }

    @Test("transpose(reshape(W[0:0], [0, 999999999, 999999999, 999999999])) is refused at the reshape, under any limits",
          arguments: [GraphLimits.standard, .unlimited])
    func hugeEmptyTranspose(limits: GraphLimits) throws {
        let graph = Graph(limits: limits)
        let empty = try Self.emptyVector(in: graph)
        let error = #expect(throws: AutogradError.self) {
            try graph.apply(.reshape, empty, attribute: .shape([0, 999_999_999, 999_999_999, 999_999_999]))
        }
        #expect(error?.description.contains("is empty, but its other axes multiply past what an integer can count") == true, "\(String(describing: error))")
        #expect(graph.count == 2)
    }

    @Test("a valid empty tensor of huge extent: transpose, [:, 0] and sum along an axis are refused before allocating")
    func hugeEmptyOperations() throws {
        let graph = Graph()   // the standard limits: 2^20 entries per value
        let x = graph.input("x", Tensor(shape: [0, 1 << 40], storage: []))
        for (operation, attribute) in [(Operation.transpose, OperationAttribute?.none), (.index, .index([.slice(start: nil, stop: nil, step: nil)])),
                                       (.sum, .axis(0)), (.mean, .axis(0)), (.reshape, .shape([1 << 20, 0, 1 << 20]))] {
            let error = #expect(throws: AutogradError.self, "\(operation)") { try graph.apply(operation, x, attribute: attribute) }
            #expect(error?.description.contains("per value") == true, "\(String(describing: error))")
        }
        // [:, 0] of [0, 2^21, 2^21] is [0, 2^21]: still past the limit.
        let cube = graph.input("y", Tensor(shape: [0, 1 << 21, 1 << 21], storage: []))
        let error = #expect(throws: AutogradError.self) {
            try graph.apply(.index, cube, attribute: .index([.slice(start: nil, stop: nil, step: nil), .position(0)]))
        }
        #expect(error?.description.contains("[0, 2097152] is empty, but its other axes multiply to 2097152") == true, "\(String(describing: error))")
        // Over one axis the result is empty: fine, and done per entry (none), not per position.
        let column = try graph.apply(.index, x, attribute: .index([.slice(start: nil, stop: nil, step: nil), .position(5)]))
        #expect(graph.shape(of: column) == [0])
        #expect(graph.value(of: try graph.apply(.sum, x)) == Tensor(scalar: 0))
    }

    @Test("sum(x, 1) of a [300000000, 0] tensor is refused before its 2.4 GB result is made")
    func sumOfTallEmpty() throws {
        let graph = Graph()
        let x = graph.input("x", Tensor(shape: [300_000_000, 0], storage: []))
        let error = #expect(throws: AutogradError.self) { try graph.apply(.sum, x, attribute: .axis(1)) }
        #expect(error?.description == "sum: the result would have 300000000 entries (shape [300000000]); the limit is 1048576 entries per value (it would take 2.4 GB; docs/reliability.md says how to raise the limit)")
    }

    @Test("rank: 16 axes work, 17 and 10,000 and 50,000 are refused at once", arguments: [17, 10_000, 50_000])
    func rank(axes: Int) throws {
        let graph = Graph()
        let x = graph.input("x", 2)
        let sixteen = try graph.apply(.reshape, x, attribute: .shape(Array(repeating: 1, count: 16)))
        #expect(graph.shape(of: sixteen).count == 16)
        let start = ContinuousClock.now
        #expect(throws: AutogradError.invalidOperand(operation: "reshape", reason: "the new shape has \(axes) axes; a value has at most 16")) {
            try graph.apply(.reshape, x, attribute: .shape(Array(repeating: 1, count: axes)))
        }
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    @Test("an index resolves per entry: no list of positions for a 2^40-long axis")
    func resolvePerEntry() throws {
        let resolved = try Tensor.resolve([.slice(start: nil, stop: nil, step: nil), .position(0)], in: [0, 1 << 40]).get()
        #expect(resolved.shape == [0] && resolved.offsets.isEmpty)
        let stepped = try Tensor.resolve([.slice(start: -1, stop: nil, step: -2)], in: [5]).get()
        #expect(stepped.offsets == [4, 2, 0])
        #expect(try Tensor.indexShape([.slice(start: 1, stop: nil, step: 1 << 40)], in: [1 << 41]).get() == [2])
    }

    @Test("the documented throwing functions throw: Tensor(validatingShape:), broadcasting, sum(alongAxis:), node(at:)")
    func libraryThrows() throws {
        #expect(throws: AutogradError.self) { try Tensor(validatingShape: [0, 999_999_999, 999_999_999, 999_999_999], storage: []) }
        #expect(throws: AutogradError.invalidOperand(operation: "tensor", reason: "3 entries do not fill the shape [2, 2]")) {
            try Tensor(validatingShape: [2, 2], storage: [1, 2, 3])
        }
        #expect(throws: AutogradError.self) { try Tensor(validatingShape: Array(repeating: 1, count: 17), storage: [1]) }
        #expect(try Tensor(validatingShape: [2, 1], storage: [1, 2]) == Tensor(shape: [2, 1], storage: [1, 2]))

        #expect(throws: AutogradError.shapeMismatch(operation: "+", left: [2], right: [3])) {
            try Tensor.broadcasting(Tensor(vector: [1, 2]), Tensor(vector: [1, 2, 3]), symbol: "+", +)
        }
        let column = Tensor(repeating: 1, shape: [2000, 1]), row = Tensor(repeating: 1, shape: [2000])
        #expect(throws: AutogradError.self) { try Tensor.broadcasting(column, row, *) }
        #expect(try Tensor.broadcasting(column, row, limits: .unlimited, *).count == 4_000_000)

        let m = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        #expect(throws: AutogradError.invalidOperand(operation: "sum", reason: "axis 2 is out of range for shape [2, 3]")) { try m.sum(alongAxis: 2) }
        #expect(try m.sum(alongAxis: -1) == Tensor(vector: [6, 15]))

        let graph = Graph()
        graph.input("x", 1)
        #expect(throws: AutogradError.invalidOperand(operation: "node(at:)", reason: "node index 1 is out of range: the graph has 1 nodes")) { try graph.node(at: 1) }
        #expect(throws: AutogradError.self) { try graph.node(at: -1) }
    }

    @Test("Graph() has the expression language's limits; .unlimited is asked for")
    func defaults() {
        #expect(Graph().limits == .standard)
        #expect(GraphLimits.standard == GraphLimits(entriesPerValue: 1 << 20, entriesPerGraph: 1 << 23))
        #expect(Graph(limits: .unlimited).limits == .unlimited)
    }

    @Test("a convolution whose unfolded windows pass the limit is refused before im2col")
    func convolutionColumns() throws {
        let graph = Graph(limits: GraphLimits(entriesPerValue: 1000, entriesPerGraph: 1 << 20))
        let x = graph.input("x", Tensor(repeating: 1, shape: [1, 1, 20, 20]))
        let w = graph.input("w", Tensor(repeating: 1, shape: [1, 1, 3, 3]))
        let error = #expect(throws: AutogradError.self) { try graph.apply(.conv2d, x, w, attribute: .window(size: 3, stride: 1, padding: 0)) }
        #expect(error?.description.contains("unfolded windows") == true, "\(String(describing: error))")
        let wide = Graph(limits: GraphLimits(entriesPerValue: 10_000, entriesPerGraph: 1 << 20))
        let y = try wide.apply(.conv2d, wide.input("x", graph.value(of: x)), wide.input("w", graph.value(of: w)), attribute: .window(size: 3, stride: 1, padding: 0))
        #expect(wide.shape(of: y) == [1, 1, 18, 18])
    }
}

@Suite("Reading a node checks its graph (issue 30)")
struct ForeignReadTests {
    @Test("node(at:) translates an id to a graph rebuilt from the same program; the reads then agree")
    func translate() throws {
        let first = Graph(), second = Graph()
        let x1 = first.input("x", 2), x2 = second.input("x", 5)
        let f1 = try first.apply(.multiply, x1, x1), f2 = try second.apply(.multiply, x2, x2)
        try first.backward(from: f1); try second.backward(from: f2)
        let same = try second.node(at: x1.index)
        #expect(same == x2 && second.value(of: same) == Tensor(scalar: 5) && second.gradient(of: same) == Tensor(scalar: 10))
        #expect(first.value(of: x1) == Tensor(scalar: 2) && first.gradient(of: x1) == Tensor(scalar: 4))
    }

    @Test("value(of:) and gradient(of:) of another graph's node stop the process instead of reading another node")
    func foreignReadStops() async {
        await #expect(processExitsWith: .failure) {
            let first = Graph(), second = Graph()
            let x = first.input("x", 2)
            second.input("y", 3)
            _ = second.value(of: x)
        }
        await #expect(processExitsWith: .failure) {
            let first = Graph(), second = Graph()
            let x = first.input("x", 2), y = second.input("y", 3)
            try? second.backward(from: try second.apply(.multiply, y, y))
            _ = second.gradient(of: x)
        }
    }
}

import Autograd
import Testing
import TestSupport

// 9. Tensor helpers and number formatting.

@Suite("Tensor helpers")
struct TensorTests {
    @Test("broadcastShape follows NumPy", arguments: [
        (x: [2, 3], y: [3], result: [2, 3] as [Int]?),
        ([3], [2, 3], [2, 3]),
        ([2, 1], [1, 3], [2, 3]),
        ([], [2, 2], [2, 2]),
        ([2, 2], [], [2, 2]),
        ([], [], []),
        ([3, 1, 2], [4, 1], [3, 4, 2]),
        ([1], [], [1]),
        ([1, 1], [5], [1, 5]),
        ([2, 3], [4], nil),
        ([2, 3], [2], nil),
        ([2, 3], [3, 2], nil),
        ([0], [1], [0]),
    ] as [([Int], [Int], [Int]?)])
    func broadcastShape(row: (x: [Int], y: [Int], result: [Int]?)) {
        #expect(Tensor.broadcastShape(row.x, row.y) == row.result)
        #expect(Tensor.broadcastShape(row.y, row.x) == row.result, "broadcasting is symmetric")
    }

    @Test("broadcast arithmetic", arguments: [
        (Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6]), Tensor(vector: [10, 20, 30]),
         Tensor(shape: [2, 3], storage: [11, 22, 33, 14, 25, 36])),
        (Tensor(shape: [2, 1], storage: [1, 2]), Tensor(shape: [1, 3], storage: [10, 20, 30]),
         Tensor(shape: [2, 3], storage: [11, 21, 31, 12, 22, 32])),
        (Tensor(scalar: 1), Tensor(shape: [2, 2], storage: [1, 2, 3, 4]), Tensor(shape: [2, 2], storage: [2, 3, 4, 5])),
        (Tensor(vector: [1]), Tensor(shape: [2, 1], storage: [5, 6]), Tensor(shape: [2, 1], storage: [6, 7])),
        (Tensor(shape: [1, 1], storage: [1]), Tensor(vector: [5, 6]), Tensor(shape: [1, 2], storage: [6, 7])),
    ])
    func broadcastAdd(x: Tensor, y: Tensor, sum: Tensor) {
        #expect(x + y == sum)
        #expect(y + x == sum)
    }

    private static let m23 = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])

    @Test("reduced(to:) sums broadcast axes away", arguments: [
        ([3], Tensor(vector: [5, 7, 9])),
        ([1, 3], Tensor(shape: [1, 3], storage: [5, 7, 9])),
        ([2, 1], Tensor(shape: [2, 1], storage: [6, 15])),
        ([], Tensor(scalar: 21)),
        ([1], Tensor(vector: [21])),
        ([1, 1], Tensor(shape: [1, 1], storage: [21])),
        ([2, 3], m23),
    ] as [([Int], Tensor)])
    func reduced(target: [Int], expected: Tensor) {
        #expect(Self.m23.reduced(to: target) == expected)
    }

    @Test("reduced(to:) undoes broadcast(to:) up to the multiplicity")
    func reducedUndoesBroadcast() {
        let v = Tensor(shape: [3, 1], storage: [1, 2, 3])
        let wide = v.broadcast(to: [2, 3, 4])
        #expect(wide.shape == [2, 3, 4])
        #expect(wide.reduced(to: [3, 1]) == v.map { $0 * 8 })
    }

    @Test("transposed reverses the axes")
    func transposed() {
        #expect(Self.m23.transposed() == Tensor(shape: [3, 2], storage: [1, 4, 2, 5, 3, 6]))
        #expect(Self.m23.transposed().transposed() == Self.m23)
        #expect(Tensor(vector: [1, 2]).transposed() == Tensor(vector: [1, 2]))
        #expect(Tensor(scalar: 7).transposed() == Tensor(scalar: 7))
        let cube = Tensor(shape: [2, 3, 4], storage: (0..<24).map(Double.init))
        let reversed = cube.transposed()
        #expect(reversed.shape == [4, 3, 2])
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            #expect(reversed.storage[k * 6 + j * 2 + i] == cube.storage[i * 12 + j * 4 + k])
        } } }
    }

    @Test("sum(alongAxis:) and expanded(alongAxis:size:)", arguments: [
        (Int?.none, Tensor(scalar: 21)),
        (0, Tensor(vector: [5, 7, 9])),
        (1, Tensor(vector: [6, 15])),
    ] as [(Int?, Tensor)])
    func sumAlongAxis(axis: Int?, expected: Tensor) throws {
        #expect(try axis.map { axis throws(AutogradError) in try Self.m23.sum(alongAxis: axis) } ?? Self.m23.sum() == expected)
        if let axis {
            // Copying back along the summed axis gives the shape of the original.
            #expect(expected.expanded(alongAxis: axis, size: Self.m23.shape[axis]).shape == Self.m23.shape)
        }
    }

    @Test("sum along the middle axis of a rank-3 tensor")
    func sumMiddleAxis() throws {
        let cube = Tensor(shape: [2, 3, 2], storage: (0..<12).map(Double.init))
        #expect(try cube.sum(alongAxis: 1) == Tensor(shape: [2, 2], storage: [0 + 2 + 4, 1 + 3 + 5, 6 + 8 + 10, 7 + 9 + 11]))
        #expect(Tensor(vector: [1, 2]).expanded(alongAxis: 0, size: 3) == Tensor(shape: [3, 2], storage: [1, 2, 1, 2, 1, 2]))
        #expect(Tensor(vector: [1, 2]).expanded(alongAxis: 1, size: 3) == Tensor(shape: [2, 3], storage: [1, 1, 1, 2, 2, 2]))
    }

    @Test("matmul shapes and refusals", arguments: [
        ([2, 3], [3, 4], [2, 4] as [Int]?), ([3], [3, 4], [4]), ([2, 3], [3], [2]), ([3], [3], []),
        ([2, 3], [2, 3], nil), ([3], [4], nil), ([], [3], nil), ([2, 2, 2], [2, 2], nil),
    ] as [([Int], [Int], [Int]?)])
    func matmulShapes(a: [Int], b: [Int], result: [Int]?) {
        let x = Tensor(repeating: 1, shape: a), y = Tensor(repeating: 2, shape: b)
        let product = Tensor.matmul(x, y)
        #expect(product?.shape == result)
        if let product, let k = a.last { #expect(product.storage.allSatisfy { $0 == Double(2 * k) }) }
    }

    @Test("matmul propagates NaN and ∞ through zero entries, as IEEE and NumPy do")
    func matmulNonFinite() throws {
        let zeroRow = Tensor(shape: [2, 2], storage: [0, 1, 0, 0])
        let b = Tensor(shape: [2, 2], storage: [.nan, 1, .infinity, 2])
        let product = try #require(Tensor.matmul(zeroRow, b))
        // [0·NaN + 1·∞, 0·1 + 1·2] and [0·NaN + 0·∞, 0·1 + 0·2].
        #expect(product.storage[0].isNaN)
        #expect(product.storage[1] == 2)
        #expect(product.storage[2].isNaN)
        #expect(product.storage[3] == 0)
        #expect(try #require(Tensor.matmul(Tensor(vector: [0]), Tensor(vector: [.infinity]))).scalar.isNaN)
        // And the graph notices it.
        let graph = Graph()
        let node = try graph.apply(.matmul, graph.input("x", Tensor(vector: [0, 0])), graph.input("W", b))
        #expect(graph.firstNonFiniteNode == node)
    }

    @Test("Tensor.resolve follows NumPy's index rules", arguments: [
        (shape: [5], index: [IndexComponent.position(-1)], result: [] as [Int], offsets: [4]),
        ([5], [.position(0)], [], [0]),
        ([5], [.slice(start: 1, stop: nil, step: 2)], [2], [1, 3]),
        ([5], [.slice(start: nil, stop: nil, step: -1)], [5], [4, 3, 2, 1, 0]),
        ([5], [.slice(start: nil, stop: nil, step: -2)], [3], [4, 2, 0]),
        ([5], [.slice(start: -2, stop: nil, step: nil)], [2], [3, 4]),
        ([5], [.slice(start: 3, stop: 0, step: -1)], [3], [3, 2, 1]),
        ([5], [.slice(start: -100, stop: 100, step: nil)], [5], [0, 1, 2, 3, 4]),
        ([5], [.slice(start: 10, stop: nil, step: nil)], [0], []),
        ([5], [.slice(start: 3, stop: 1, step: nil)], [0], []),
        ([5], [.slice(start: 10, stop: nil, step: -1)], [5], [4, 3, 2, 1, 0]),
        ([5], [.slice(start: nil, stop: -10, step: -1)], [5], [4, 3, 2, 1, 0]),
        ([2, 3], [.position(1)], [3], [3, 4, 5]),
        ([2, 3], [.slice(start: nil, stop: nil, step: nil), .position(-1)], [2], [2, 5]),
        ([2, 3], [], [2, 3], [0, 1, 2, 3, 4, 5]),
        ([2, 3], [.position(-2), .slice(start: nil, stop: nil, step: 2)], [2], [0, 2]),
        ([], [], [], [0]),
    ] as [([Int], [IndexComponent], [Int], [Int])])
    func resolve(row: (shape: [Int], index: [IndexComponent], result: [Int], offsets: [Int])) throws {
        let resolved = try Tensor.resolve(row.index, in: row.shape).get()
        #expect(resolved.shape == row.result)
        #expect(resolved.offsets == row.offsets)
        #expect(resolved.offsets.count == row.result.reduce(1, *))
    }

    @Test("Tensor.resolve refusals", arguments: [
        ([3], [IndexComponent.position(3)], "index 3 is out of range for axis 0 of size 3"),
        ([3], [.position(-4)], "index -4 is out of range for axis 0 of size 3"),
        ([2, 3], [.position(0), .position(3)], "index 3 is out of range for axis 1 of size 3"),
        ([2, 3], [.position(0), .position(0), .position(0)], "too many indices (3) for shape [2, 3]"),
        ([], [.position(0)], "too many indices (1) for shape []"),
        ([3], [.slice(start: nil, stop: nil, step: 0)], "slice step cannot be 0"),
    ] as [([Int], [IndexComponent], String)])
    func resolveRefusal(shape: [Int], index: [IndexComponent], message: String) {
        let error = #expect(throws: IndexError.self) { try Tensor.resolve(index, in: shape).get() }
        #expect(error?.message == message)
    }

    @Test("index components print as written", arguments: [
        (IndexComponent.position(-1), "-1"),
        (.slice(start: nil, stop: nil, step: nil), ":"),
        (.slice(start: 1, stop: nil, step: 2), "1::2"),
        (.slice(start: nil, stop: 3, step: nil), ":3"),
        (.slice(start: -2, stop: 0, step: -1), "-2:0:-1"),
    ])
    func indexDescription(component: IndexComponent, text: String) {
        #expect(component.description == text)
    }

    @Test("TraceFormat.number: shortest exact form", arguments: [
        (-4.0, "-4"), (0.5, "0.5"), (-0.0, "0"), (0, "0"), (3, "3"), (-12, "-12"), (0.1, "0.1"),
        (-2.5, "-2.5"), (1e-8, "1e-08"), (123_456_789_012_345, "123456789012345"), (1e15, "1000000000000000"),
        (9_007_199_254_740_992, "9007199254740992"), (9_007_199_254_740_994, "9.007199254740994e+15"), (1e16, "1e+16"),
        (.nan, "nan"), (.infinity, "inf"), (-.infinity, "-inf"), (1.0 / 3, "0.3333333333333333"),
    ] as [(Double, String)])
    func number(value: Double, text: String) {
        #expect(TraceFormat.number(value) == text)
    }

    @Test("TraceFormat.number(_:significantDigits:)", arguments: [
        (-2.0 / 3, 6, "-0.666667"), (0.5, 3, "0.5"), (-4, 6, "-4"), (1.0 / 3, 3, "0.333"), (2.50001, 3, "2.5"),
        (123_456.7, 3, "1.23e+05"), (0.000_012_345, 3, "1.23e-05"), (-0.0, 3, "0"), (.nan, 3, "nan"),
        (0.1 + 0.2, 6, "0.3"), (-1.25, 2, "-1.2"), (7.0 / 3, 0, "2"), (.infinity, 4, "inf"),
    ] as [(Double, Int, String)])
    func significantDigits(value: Double, digits: Int, text: String) {
        #expect(TraceFormat.number(value, significantDigits: digits) == text)
    }

    @Test("tensors print as nested brackets")
    func tensorDescription() {
        #expect(Self.m23.description == "[[1, 2, 3], [4, 5, 6]]")
        #expect(Tensor(scalar: -0.5).description == "-0.5")
        #expect(Tensor(vector: []).description == "[]")
        #expect(TraceFormat.tensor(Tensor(vector: [2.0 / 3, 1]), significantDigits: 3) == "[0.667, 1]")
        #expect(Tensor.describe(shape: [2, 3]) == "[2, 3]" && Tensor.describe(shape: []) == "[]")
    }

    @Test("attributes print as a program writes them", arguments: [
        (OperationAttribute.axis(1), "axis 1"),
        (.shape([3, 2]), "[3, 2]"),
        (.index([.position(0), .slice(start: 1, stop: 3, step: nil)]), "[0, 1:3]"),
    ])
    func attributeDescription(attribute: OperationAttribute, text: String) {
        #expect(TraceFormat.describe(attribute) == text)
    }

    @Test("basic tensor properties")
    func properties() {
        #expect(Tensor(scalar: 3).isScalar && Tensor(scalar: 3).rank == 0 && Tensor(scalar: 3).count == 1)
        #expect(Tensor.zeros([2, 2]) == Tensor(shape: [2, 2], storage: [0, 0, 0, 0]))
        #expect(Tensor.strides(of: [2, 3, 4]) == [12, 4, 1])
        #expect(Tensor.strides(of: []) == [])
        #expect(!Tensor(vector: [1, .nan]).isFinite && Tensor(vector: [1, 2]).isFinite)
        #expect(Self.m23.reshaped([3, 2]).storage == Self.m23.storage)
        #expect(-Tensor(vector: [1, -2]) == Tensor(vector: [-1, 2]))
    }
}

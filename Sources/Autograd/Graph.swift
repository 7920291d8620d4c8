import Foundation

/// A node of a `Graph`: which graph it belongs to, and its position in creation order, which is
/// also a topological order.
///
/// A node id is only meaningful in the graph that made it: `apply` and `backward` throw
/// `AutogradError.foreignNode` for a node of another graph (or of the same graph before
/// `removeAll`), so nothing is recorded on a wrong operand. To find the node at the same position
/// in a graph rebuilt from the same program, ask that graph: `graph.node(at: id.index)`.
///
/// `value(of:)` and `gradient(of:)` stop the program on a node of another graph (a programmer
/// error, like an index out of range); the claim checker and the exercises, which read a program
/// evaluated again at another point, translate their ids with `node(at:)` first. The other
/// reading functions (`shape(of:)`, `inputs(of:)`, …) read by position.
///
/// Eight bytes: the index as an `Int32` (the arena stores its edges as `Int32` already, so no
/// graph holds more nodes) and the graph's identity as a `UInt32`.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    let rawIndex: Int32
    /// The graph (and its generation, bumped by `removeAll`) this node belongs to.
    public let graph: GraphIdentity
    /// The creation index: `n0` is the first node recorded.
    public var index: Int { Int(rawIndex) }
    init(index: Int, graph: GraphIdentity) {
        self.rawIndex = Int32(index)
        self.graph = graph
    }
    /// Creation order within one graph.
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawIndex < b.rawIndex }
    public var description: String { "n\(index)" }
}

/// The recorded computation: every operation appends one node, and backward fills in gradients.
///
/// Storage is an arena of parallel arrays indexed by creation order, so a scalar node costs
/// about 30 bytes (operation, two input ids, value, gradient, tensor slot) and no allocation of
/// its own. Scalars take a fast path; tensor values live in a side array.
///
/// ```swift
/// let graph = Graph()
/// let x = graph.input("x", -2), y = graph.input("y", 5), z = graph.input("z", -4)
/// let q = try graph.apply(.add, x, y)
/// let f = try graph.apply(.multiply, q, z)
/// try graph.backward(from: f)
/// print(graph.gradient(of: x)!)   // Prints "-4"
/// ```
public final class Graph {
    // The arena's arrays carry @exclusivity(unchecked): without it every append and read of a class's
    // stored array begins and ends a dynamic access (swift_beginAccess, a thread-local lookup), which
    // made recording 4-50× slower once -Ounchecked left Package.swift (micrograd's demo step 1.2 → 60 ms,
    // measured). Only Graph's own methods touch them, one access at a time, on the graph's one thread.
    /// The operation of each node.
    @exclusivity(unchecked) public internal(set) var operations: [Operation] = []
    @exclusivity(unchecked) var firstInputs: [Int32] = []
    @exclusivity(unchecked) var secondInputs: [Int32] = []
    /// Scalar nodes keep their value here; tensor nodes keep NaN here and their value in `tensorValues`.
    @exclusivity(unchecked) var scalarValues: [Double] = []
    /// -1 for a scalar node, else the node's slot in `tensorValues`.
    @exclusivity(unchecked) var tensorSlots: [Int32] = []
    @exclusivity(unchecked) var tensorValues: [Tensor] = []
    @exclusivity(unchecked) var scalarGradients: [Double] = []
    @exclusivity(unchecked) var tensorGradients: [Tensor?] = []
    /// Whether backward reached the node (an ancestor of the output that requires a gradient).
    @exclusivity(unchecked) var reached: [Bool] = []
    /// Whether each node requires a gradient, as PyTorch's `requires_grad`: inputs and parameters
    /// do, constants do not, and an operation does when one of its operands does. Backward computes
    /// no gradient for a node that does not (a constant subexpression such as `1 + 1`).
    @exclusivity(unchecked) var requiresGrad: [Bool] = []
    @exclusivity(unchecked) var names: [Int32: String] = [:]
    @exclusivity(unchecked) var attributes: [Int32: OperationAttribute] = [:]
    let primitives = Primitive.table
    /// The op table's scalar rules, unpacked once (see `ScalarKernels`).
    let kernels = ScalarKernels.shared

    /// Who this graph is: every node id it hands out carries it, and every node id it is given must.
    /// `removeAll` gives the graph a new identity, so ids from before it are refused too.
    public private(set) var identity = GraphIdentity.next()

    /// The output backward was run from, once it has run.
    @exclusivity(unchecked) public internal(set) var backwardOutput: NodeID?
    /// The first node whose value has a NaN or an infinity, if any.
    @exclusivity(unchecked) public private(set) var firstNonFiniteNode: NodeID?
    /// How big a value, and the graph, may grow (GraphLimits.swift): `GraphLimits.standard` unless
    /// set; trainers that check their batches themselves set `.unlimited`.
    public var limits: GraphLimits
    /// The tensor entries of every tensor node recorded so far.
    public private(set) var entries = 0
    /// When to stop: tensor operations, backward and the gradient check give up past it
    /// (EvaluationDeadline.swift). The deadline in force where the graph is created; nil: never.
    public var deadline: ContinuousClock.Instant? = EvaluationDeadline.current

    /// An empty graph whose operations are held to `limits` (the expression language's by default).
    public init(limits: GraphLimits = .standard) { self.limits = limits }

    /// Reserves room for `count` nodes, so a long build never reallocates.
    public func reserveCapacity(_ count: Int) {
        operations.reserveCapacity(count); firstInputs.reserveCapacity(count); secondInputs.reserveCapacity(count)
        scalarValues.reserveCapacity(count); tensorSlots.reserveCapacity(count); requiresGrad.reserveCapacity(count)
    }

    /// Removes every node, name and gradient, leaving an empty graph ready for the next build.
    ///
    /// With `keepingCapacity: true` the arena keeps its memory, so a training loop that rebuilds a
    /// graph of the same size every step records into memory already allocated instead of growing
    /// fresh arrays each time (micrograd's demo step: 1.84 → 1.71 ms, its forward 1.46 → 1.28 ms,
    /// measured). Node ids of the old graph are invalid afterwards.
    /// - Complexity: O(1) for the scalar arrays when keeping capacity; O(tensor nodes + names) otherwise.
    public func removeAll(keepingCapacity keepCapacity: Bool = false) {
        operations.removeAll(keepingCapacity: keepCapacity)
        firstInputs.removeAll(keepingCapacity: keepCapacity)
        secondInputs.removeAll(keepingCapacity: keepCapacity)
        scalarValues.removeAll(keepingCapacity: keepCapacity)
        tensorSlots.removeAll(keepingCapacity: keepCapacity)
        tensorValues.removeAll(keepingCapacity: keepCapacity)
        scalarGradients.removeAll(keepingCapacity: keepCapacity)
        tensorGradients.removeAll(keepingCapacity: keepCapacity)
        reached.removeAll(keepingCapacity: keepCapacity)
        requiresGrad.removeAll(keepingCapacity: keepCapacity)
        names.removeAll(keepingCapacity: keepCapacity)
        attributes.removeAll(keepingCapacity: keepCapacity)
        backwardOutput = nil
        firstNonFiniteNode = nil
        identity = GraphIdentity.next()
        entries = 0
    }

    /// The number of nodes recorded.
    public var count: Int { operations.count }
    /// Every node id in creation order.
    public var nodes: [NodeID] { (0..<count).map(nodeID) }

    // MARK: - Leaves

    /// Records an input leaf: a value the user gives, whose gradient backward computes.
    @discardableResult
    public func input(_ name: String, _ value: Tensor) -> NodeID { leaf(.input, value, name: name) }
    /// Records a scalar input leaf.
    @discardableResult
    public func input(_ name: String, _ value: Double) -> NodeID {
        // No `Tensor` for a scalar leaf: one allocation less per leaf (1M scalar constants are
        // recorded in 16.8 ms instead of 44.3 ms, measured with `constant` below).
        let id = appendScalar(.input, -1, -1, value)
        names[Int32(id.index)] = name
        return id
    }
    /// Records a parameter leaf: like an input, but drawn and reported as something training updates.
    @discardableResult
    public func parameter(_ name: String?, _ value: Tensor) -> NodeID { leaf(.parameter, value, name: name) }
    /// Records a constant leaf: a number written in the program. Backward sends it no gradient.
    @discardableResult
    public func constant(_ value: Tensor, name: String? = nil) -> NodeID { leaf(.constant, value, name: name) }
    /// Records a scalar constant leaf.
    @discardableResult
    public func constant(_ value: Double) -> NodeID { appendScalar(.constant, -1, -1, value) }

    func leaf(_ operation: Operation, _ value: Tensor, name: String?) -> NodeID {
        let id = append(operation, -1, -1, value)
        if let name { names[Int32(id.index)] = name }
        return id
    }

    // MARK: - Operations

    /// Records `operation` applied to `x` (and `y` for binary operations) and computes its value.
    ///
    /// Scalar operands of an elementwise primitive take the fast path; anything else goes through
    /// the tensor rule, with NumPy broadcasting for elementwise primitives.
    /// - Throws: `AutogradError` when the shapes do not fit or the attribute is invalid.
    /// - Complexity: O(1) for scalars, O(entries) for elementwise tensors.
    @discardableResult
    public func apply(_ operation: Operation, _ x: NodeID, _ y: NodeID? = nil,
                      attribute: OperationAttribute? = nil) throws(AutogradError) -> NodeID {
        // Scalar fast path: an elementwise primitive of the right arity on scalar operands reads
        // only the unpacked kernel table. Copying the `Primitive` here, as the general path does,
        // retained and released its strings, array and closures on every node. Measured (release,
        // medians of 15 interleaved passes, one session): 1M-op chain build 82.5 → 23.7 ms
        // (40.2 ms with the table held as arrays of closures); forward of micrograd's demo step
        // 4.89 → 1.46 ms.
        guard x.graph == identity && (y == nil || y?.graph == identity) else {
            throw foreignNodeError(x.graph != identity ? x : y ?? x)
        }
        let op = Int(operation.rawValue)
        let xi = x.index, yi = y?.index ?? -1
        if kernels.arity[op] == (yi < 0 ? 1 : 2) && tensorSlots[xi] < 0 && (yi < 0 || tensorSlots[yi] < 0) {
            let value = kernels.forward(op, scalarValues[xi], yi < 0 ? 0 : scalarValues[yi])
            if !value.isFinite && firstNonFiniteNode == nil { firstNonFiniteNode = nodeID(count) }
            return appendScalar(operation, Int32(xi), Int32(yi), value)
        }
        return try applyGeneral(operation, x, y, attribute: attribute)
    }

    /// `apply` for everything but the scalar fast path: tensors, structural primitives, errors.
    func applyGeneral(_ operation: Operation, _ x: NodeID, _ y: NodeID?,
                      attribute: OperationAttribute?) throws(AutogradError) -> NodeID {
        // The one place every tensor operation passes: a runaway program stops here.
        if deadline != nil && EvaluationDeadline.passed(deadline) { throw .deadlinePassed }
        let primitive = primitives[Int(operation.rawValue)]
        let arity = y == nil ? 1 : 2
        guard primitive.arity == arity else {
            throw .wrongArity(operation: primitive.name, expected: primitive.arity, got: arity)
        }
        let xi = x.index, yi = y?.index ?? -1
        switch primitive.rule {
        case .leaf:
            throw .invalidOperand(operation: primitive.name, reason: "a leaf cannot be applied")
        case .elementwise(let forward, _):
            if tensorSlots[xi] < 0 && (yi < 0 || tensorSlots[yi] < 0) {
                // Scalar fast path: no Tensor, no allocation.
                let value = forward(scalarValues[xi], yi < 0 ? 0 : scalarValues[yi])
                if !value.isFinite && firstNonFiniteNode == nil { firstNonFiniteNode = nodeID(count) }
                return appendScalar(operation, Int32(xi), Int32(yi), value)
            }
            let a = value(of: x)
            let value: Tensor
            if yi < 0 {
                if limits != .unlimited { try checkSize(a.shape, for: primitive.symbol) }
                value = a.map { forward($0, 0) }
            } else {
                let b = self.value(of: nodeID(yi))
                guard let shape = Tensor.broadcastShape(a.shape, b.shape) else {
                    throw .shapeMismatch(operation: primitive.symbol, left: a.shape, right: b.shape)
                }
                if shape != a.shape || limits != .unlimited { try checkSize(shape, for: primitive.symbol) }
                value = Tensor.broadcastMap(a, b, forward)
            }
            return record(operation, xi, yi, value)
        case .structural(let forward, _):
            var inputs = [value(of: x)]
            if yi >= 0 { inputs.append(value(of: nodeID(yi))) }
            let attribute = try Graph.validate(attribute, for: operation, on: inputs[0].shape)
            // Every size is checked before the work: a product's result can be far bigger than its
            // operands ([n, 1] @ [1, n]), and an empty value's axes can be huge.
            let predicted = Graph.resultShape(of: operation, inputs.map(\.shape), attribute)
            if let predicted { try checkSize(predicted, for: primitive.symbol) }
            if operation == .conv2d { try checkConvolutionColumns(inputs.map(\.shape), attribute) }
            if operation == .maxPool2d || operation == .avgPool2d { try checkPoolingWindows(inputs.map(\.shape), attribute, for: primitive.name) }
            switch forward(inputs, attribute) {
            case .failure(let error): throw error
            case .success(let value):
                if predicted != value.shape { try checkSize(value.shape, for: primitive.symbol) }
                let id = record(operation, xi, yi, value)
                if let attribute { attributes[Int32(id.index)] = attribute }
                return id
            }
        }
    }

    /// Normalizes a negative axis and resolves `-1` in a reshape, or says why the attribute is invalid.
    static func validate(_ attribute: OperationAttribute?, for operation: Operation,
                         on shape: [Int]) throws(AutogradError) -> OperationAttribute? {
        switch attribute {
        case .axis(let raw):
            // A scalar is a 0-d tensor: as PyTorch, sum(x, 0) and mean(x, -1) of one are x itself.
            // So are amax, amin, logsumexp, softmax and log_softmax over dim 0 or -1 of one.
            if shape.isEmpty && (raw == 0 || raw == -1) { return nil }
            let axis = raw < 0 ? raw + shape.count : raw
            guard axis >= 0 && axis < shape.count else {
                throw .invalidOperand(operation: operation.primitive.name,
                                      reason: "axis \(raw) is out of range for shape \(Tensor.describe(shape: shape))")
            }
            return .axis(axis)
        case .shape(let raw):
            guard raw.count <= GraphLimits.maximumRank else {
                throw .invalidOperand(operation: "reshape", reason: "the new shape has \(raw.count) axes; a value has at most \(GraphLimits.maximumRank)")
            }
            // Checked products: [65536, 65536, 65536, 65536] must not wrap around to 0 entries.
            guard raw.allSatisfy({ $0 >= 0 || $0 == -1 }) else {
                throw .invalidOperand(operation: "reshape", reason: "invalid shape \(Tensor.describe(shape: raw))")
            }
            guard let count = GraphLimits.entries(of: shape), let known = GraphLimits.entries(of: raw.filter { $0 != -1 }) else {
                throw .invalidOperand(operation: "reshape", reason: "invalid shape \(Tensor.describe(shape: raw)): it has more entries than an integer can count")
            }
            guard raw.filter({ $0 == -1 }).count <= 1, known > 0 || count == 0 else {
                throw .invalidOperand(operation: "reshape", reason: "invalid shape \(Tensor.describe(shape: raw))")
            }
            let resolved = raw.map { $0 == -1 ? count / max(known, 1) : $0 }
            guard GraphLimits.entries(of: resolved) == count else {
                throw .invalidOperand(operation: "reshape",
                                      reason: "cannot reshape \(Tensor.describe(shape: shape)) (\(count) entries) to \(Tensor.describe(shape: raw))")
            }
            return .shape(resolved)
        case .permutation(let raw):
            let rank = shape.count
            let dims = raw.map { $0 < 0 ? $0 + rank : $0 }
            guard dims.count == rank, Set(dims) == Set(0..<rank) else {
                throw .invalidOperand(operation: "permute", reason: "dims (\(raw.map(String.init).joined(separator: ", "))) are not an order of the \(rank) axes of \(Tensor.describe(shape: shape))")
            }
            return .permutation(dims)
        case .index, .window, nil:
            return attribute
        }
    }

    func record(_ operation: Operation, _ x: Int, _ y: Int, _ value: Tensor) -> NodeID {
        if firstNonFiniteNode == nil && !value.isFinite { firstNonFiniteNode = nodeID(count) }
        return append(operation, Int32(x), Int32(y), value)
    }

    @inline(__always)
    func appendScalar(_ operation: Operation, _ x: Int32, _ y: Int32, _ value: Double) -> NodeID {
        let id = nodeID(operations.count)
        operations.append(operation)
        firstInputs.append(x)
        secondInputs.append(y)
        scalarValues.append(value)
        tensorSlots.append(-1)
        requiresGrad.append(requiresGradient(operation, x, y))
        return id
    }

    /// PyTorch's rule: a leaf requires a gradient when it is an input or a parameter; an operation
    /// when one of its operands does.
    @inline(__always)
    func requiresGradient(_ operation: Operation, _ x: Int32, _ y: Int32) -> Bool {
        if x < 0 { return operation == .input || operation == .parameter }
        return requiresGrad[Int(x)] || (y >= 0 && requiresGrad[Int(y)])
    }

    func append(_ operation: Operation, _ x: Int32, _ y: Int32, _ value: Tensor) -> NodeID {
        if value.isScalar { return appendScalar(operation, x, y, value.scalar) }
        let id = nodeID(operations.count)
        operations.append(operation)
        firstInputs.append(x)
        secondInputs.append(y)
        scalarValues.append(.nan)
        tensorSlots.append(Int32(tensorValues.count))
        requiresGrad.append(requiresGradient(operation, x, y))
        tensorValues.append(value)
        entries &+= value.count
        return id
    }

    // MARK: - Reading the graph

    /// The node's forward value.
    /// - Precondition: the node belongs to this graph (its `graph` is this graph's `identity`); a
    ///   node of another graph stops the program with the engine's sentence, as the operators do.
    public func value(of node: NodeID) -> Tensor {
        requireOwn(node, "value(of:)")
        return storedValue(at: node.index).tensor
    }

    /// The forward value of the node at `index`, a scalar as its number (no tensor to allocate).
    func storedValue(at index: Int) -> TraceValue {
        let slot = tensorSlots[index]
        return slot < 0 ? .scalar(scalarValues[index]) : TraceValue(tensorValues[Int(slot)])
    }

    /// A scalar node's value without building a `Tensor` (the first entry of a tensor node).
    public func scalarValue(of node: NodeID) -> Double {
        let slot = tensorSlots[node.index]
        return slot < 0 ? scalarValues[node.index] : tensorValues[Int(slot)].scalar
    }

    /// The node's gradient after backward, or nil before backward or when backward did not reach it.
    /// - Precondition: the node belongs to this graph, as for `value(of:)`.
    public func gradient(of node: NodeID) -> Tensor? {
        requireOwn(node, "gradient(of:)")
        return storedGradient(at: node.index)?.tensor
    }

    /// The gradient of the node at `index` after backward, a scalar as its number; nil before
    /// backward or when backward did not reach it.
    func storedGradient(at index: Int) -> TraceValue? {
        guard backwardOutput != nil, index < reached.count, reached[index] else { return nil }
        let slot = tensorSlots[index]
        if slot < 0 { return .scalar(scalarGradients[index]) }
        return TraceValue(tensorGradients[Int(slot)] ?? .zeros(tensorValues[Int(slot)].shape))
    }

    /// The first node (in creation order) whose gradient has a NaN or an infinity, after backward;
    /// scalars read in place, without a tensor per node.
    public var firstNonFiniteGradient: NodeID? {
        guard backwardOutput != nil else { return nil }
        for index in 0..<Swift.min(count, reached.count) where reached[index] {
            let slot = tensorSlots[index]
            let finite = slot < 0 ? scalarGradients[index].isFinite : (tensorGradients[Int(slot)]?.isFinite ?? true)
            if !finite { return nodeID(index) }
        }
        return nil
    }

    /// Whether the node requires a gradient (PyTorch's `requires_grad`): it is an input or a
    /// parameter, or an operation with an operand that requires one. Backward gives the others none.
    public func requiresGradient(_ node: NodeID) -> Bool { requiresGrad[node.index] }

    /// The first input or parameter (in creation order) whose gradient has a NaN or an infinity,
    /// after backward: what PyTorch would leave in `x.grad`. An operation's gradient may be infinite
    /// where a mask downstream sends 0 (`sqrt(relu(x))` at x = −1: ∞ reaches relu, 0 leaves it).
    public var firstNonFiniteInputGradient: NodeID? {
        guard backwardOutput != nil else { return nil }
        for index in 0..<Swift.min(count, reached.count)
        where reached[index] && (operations[index] == .input || operations[index] == .parameter) {
            let slot = tensorSlots[index]
            let finite = slot < 0 ? scalarGradients[index].isFinite : (tensorGradients[Int(slot)]?.isFinite ?? true)
            if !finite { return nodeID(index) }
        }
        return nil
    }

    /// The node's inputs, in order.
    public func inputs(of node: NodeID) -> [NodeID] {
        var result: [NodeID] = []
        if firstInputs[node.index] >= 0 { result.append(nodeID(Int(firstInputs[node.index]))) }
        if secondInputs[node.index] >= 0 { result.append(nodeID(Int(secondInputs[node.index]))) }
        return result
    }

    /// The node's shape (`[]` for a scalar).
    public func shape(of node: NodeID) -> [Int] {
        let slot = tensorSlots[node.index]
        return slot < 0 ? [] : tensorValues[Int(slot)].shape
    }

    /// The name the program gave the node, if any.
    public func name(of node: NodeID) -> String? { names[Int32(node.index)] }
    /// Gives the node a name (the program's `q = ...`); a later name replaces an earlier one.
    public func setName(_ name: String, for node: NodeID) { names[Int32(node.index)] = name }
    /// The attribute (axis, shape, index) a structural node was recorded with.
    public func attribute(of node: NodeID) -> OperationAttribute? { attributes[Int32(node.index)] }

    /// The approximate bytes of memory per recorded node (the arena's arrays, by capacity).
    public var bytesPerNode: Double {
        guard count > 0 else { return 0 }
        let arrays = operations.capacity * MemoryLayout<Operation>.stride
            + (firstInputs.capacity + secondInputs.capacity + tensorSlots.capacity) * MemoryLayout<Int32>.stride
            + (scalarValues.capacity + scalarGradients.capacity) * MemoryLayout<Double>.stride
            + (reached.capacity + requiresGrad.capacity) * MemoryLayout<Bool>.stride
        return Double(arrays) / Double(count)
    }
}

/// The scalar half of `Primitive.table`, unpacked once for the hot loops of `apply` and
/// `backward`: per operation, its elementwise arity and its forward and local-gradient functions.
/// The formulas stay in the op table; this only holds references to them.
///
/// Each operation's functions sit in the `let` fields of an immortal `ScalarKernel` object reached
/// through `Unmanaged`, so a call borrows them: no retain/release per node, and no reabstraction
/// thunk, which an array of closures adds around every element. Against arrays of closures
/// (measured, medians of 15 interleaved passes): 1M-op chain build 40.2 → 23.7 ms, its backward
/// 24.1 → 7.4 ms; micrograd's demo step 3.60 → 1.84 ms.
///
/// `@unchecked Sendable`: the kernels are immutable and, held by `shared`, never freed.
struct ScalarKernels: @unchecked Sendable {
    /// 1 or 2 for an elementwise primitive, 0 for a leaf, -1 for a structural primitive.
    let arity: [Int8]
    /// Each operation's kernel, unretained: `owners` keeps them alive (and `shared` is never freed).
    let kernels: [Unmanaged<ScalarKernel>]
    private let owners: [ScalarKernel]

    static let shared = ScalarKernels()

    private init() {
        owners = Primitive.table.map { primitive in
            switch primitive.rule {
            case .elementwise(let forward, let local):
                return ScalarKernel(arity: Int8(primitive.arity), forward: forward, local: local, mask: primitive.mask)
            case .leaf, .structural:
                return ScalarKernel(arity: primitive.operation.isLeaf ? 0 : -1,
                                    forward: { _, _ in .nan }, local: { _, _, _ in (.nan, .nan) }, mask: nil)
            }
        }
        arity = owners.map(\.arity)
        kernels = owners.map { Unmanaged.passUnretained($0) }
    }

    /// The elementwise forward of operation `op` (NaN for non-elementwise operations).
    @inline(__always)
    func forward(_ op: Int, _ x: Double, _ y: Double) -> Double {
        kernels[op]._withUnsafeGuaranteedRef { $0.forward(x, y) }
    }

    /// The elementwise local gradients (∂f/∂x, ∂f/∂y) of operation `op` at `x`, `y` with value `f`.
    @inline(__always)
    func local(_ op: Int, _ x: Double, _ y: Double, _ f: Double) -> (Double, Double) {
        kernels[op]._withUnsafeGuaranteedRef { $0.local(x, y, f) }
    }

    /// What operation `op` sends back to `x` and `y` from `upstream`, given its local gradients.
    @inline(__always)
    func contributions(_ op: Int, _ x: Double, _ y: Double, local: (Double, Double), upstream: Double) -> (Double, Double) {
        kernels[op]._withUnsafeGuaranteedRef { $0.contributions(x, y, local: local, upstream: upstream) }
    }
}

/// One operation's scalar functions, in immutable fields so they can be called without a copy.
final class ScalarKernel: Sendable {
    let arity: Int8
    let forward: @Sendable (Double, Double) -> Double
    let local: @Sendable (Double, Double, Double) -> (Double, Double)
    let mask: (@Sendable (Double, Double) -> (Bool, Bool))?

    init(arity: Int8, forward: @escaping @Sendable (Double, Double) -> Double,
         local: @escaping @Sendable (Double, Double, Double) -> (Double, Double),
         mask: (@Sendable (Double, Double) -> (Bool, Bool))?) {
        self.arity = arity
        self.forward = forward
        self.local = local
        self.mask = mask
    }

    /// local × upstream for each operand, except where the op table's mask selects 0 (PyTorch's
    /// backward selects there, so ∞ or NaN upstream still gives 0).
    @inline(__always)
    func contributions(_ x: Double, _ y: Double, local: (Double, Double), upstream: Double) -> (Double, Double) {
        var result = (local.0 * upstream, local.1 * upstream)
        if let mask {
            let (maskX, maskY) = mask(x, y)
            if maskX { result.0 = 0 }
            if maskY { result.1 = 0 }
        }
        return result
    }
}

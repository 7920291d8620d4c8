import Foundation

// MARK: - Arithmetic: +, −, ×, ÷, negation
//
// Each operator records one node of the op table (`add`, `subtract`, `multiply`, `divide`,
// `negate`); its forward value and local gradient are the table's. Tensors broadcast as NumPy
// does. A number next to a variable (`2 * x`, `x + 1`) is recorded as a constant of x's graph
// first, so it gets no gradient.

extension Variable {
    /// Sum x + y; ∂/∂x = ∂/∂y = 1.
    public static func + (x: Variable, y: Variable) -> Variable { x.recording(.add, y) }
    /// Difference x − y; ∂/∂x = 1, ∂/∂y = −1.
    public static func - (x: Variable, y: Variable) -> Variable { x.recording(.subtract, y) }
    /// Product x · y, entry by entry; ∂/∂x = y, ∂/∂y = x.
    public static func * (x: Variable, y: Variable) -> Variable { x.recording(.multiply, y) }
    /// Quotient x / y, entry by entry; ∂/∂x = 1/y, ∂/∂y = −x/y². Division by 0 gives an
    /// infinite value, which `graph.firstNonFiniteNode` reports.
    public static func / (x: Variable, y: Variable) -> Variable { x.recording(.divide, y) }
    /// Negation −x; ∂/∂x = −1.
    public static prefix func - (x: Variable) -> Variable { x.recording(.negate) }

    /// x + c for a number c (a constant of x's graph).
    public static func + (x: Variable, c: Double) -> Variable { x + x.constant(c) }
    /// c + x for a number c.
    public static func + (c: Double, x: Variable) -> Variable { x.constant(c) + x }
    /// x − c for a number c.
    public static func - (x: Variable, c: Double) -> Variable { x - x.constant(c) }
    /// c − x for a number c.
    public static func - (c: Double, x: Variable) -> Variable { x.constant(c) - x }
    /// x · c for a number c.
    public static func * (x: Variable, c: Double) -> Variable { x * x.constant(c) }
    /// c · x for a number c.
    public static func * (c: Double, x: Variable) -> Variable { x.constant(c) * x }
    /// x / c for a number c.
    public static func / (x: Variable, c: Double) -> Variable { x / x.constant(c) }
    /// c / x for a number c.
    public static func / (c: Double, x: Variable) -> Variable { x.constant(c) / x }

    /// x ← x + y: records the sum and moves the handle to it (the old node stays in the graph).
    public static func += (x: inout Variable, y: Variable) { x = x + y }
    /// x ← x − y.
    public static func -= (x: inout Variable, y: Variable) { x = x - y }
    /// x ← x · y.
    public static func *= (x: inout Variable, y: Variable) { x = x * y }
    /// x ← x / y.
    public static func /= (x: inout Variable, y: Variable) { x = x / y }
}

// MARK: - Nonlinearities and other elementwise functions

extension Variable {
    /// relu x = max(x, 0), entry by entry; its gradient is 1 for x > 0 and 0 otherwise (0 at the kink).
    public func relu() -> Variable { recording(.relu) }
    /// tanh x; d/dx tanh x = 1 − tanh²x.
    public func tanh() -> Variable { recording(.tanh) }
    /// The logistic σ(x) = 1 / (1 + e^(−x)); σ′ = σ(1 − σ).
    public func sigmoid() -> Variable { recording(.sigmoid) }
    /// eˣ; d/dx eˣ = eˣ.
    public func exp() -> Variable { recording(.exp) }
    /// ln x; d/dx ln x = 1/x. A non-positive x gives NaN or −∞ (see `graph.firstNonFiniteNode`).
    public func log() -> Variable { recording(.log) }
    /// √x; d/dx √x = 1/(2√x).
    public func squareRoot() -> Variable { recording(.sqrt) }
    /// |x|; its gradient is sign(x) (0 at the kink).
    public func magnitude() -> Variable { recording(.abs) }
    /// softplus x = ln(1 + eˣ); its derivative is σ(x).
    public func softplus() -> Variable { recording(.softplus) }
    /// leaky relu: x for x > 0, slope · x otherwise.
    public func leakyRelu(slope: Double = 0.01) -> Variable { recording(.leakyRelu, constant(slope)) }
    /// The larger of x and y, entry by entry; a tie sends half the gradient to each side.
    public func maximum(_ y: Variable) -> Variable { recording(.maximum, y) }
    /// The smaller of x and y, entry by entry; a tie sends half the gradient to each side.
    public func minimum(_ y: Variable) -> Variable { recording(.minimum, y) }

    /// xʸ; ∂/∂x = y·x^(y−1), ∂/∂y = xʸ·ln x.
    public func power(_ exponent: Variable) -> Variable { recording(.power, exponent) }
    /// xᶜ for a number c (a constant exponent, so only x gets a gradient: c·x^(c−1)).
    public func power(_ exponent: Double) -> Variable { recording(.power, constant(exponent)) }
}

/// eˣ, entry by entry (`Variable.exp()`).
public func exp(_ x: Variable) -> Variable { x.exp() }
/// ln x, entry by entry (`Variable.log()`).
public func log(_ x: Variable) -> Variable { x.log() }
/// tanh x, entry by entry (`Variable.tanh()`).
public func tanh(_ x: Variable) -> Variable { x.tanh() }
/// √x, entry by entry (`Variable.squareRoot()`).
public func sqrt(_ x: Variable) -> Variable { x.squareRoot() }
/// σ(x), entry by entry (`Variable.sigmoid()`).
public func sigmoid(_ x: Variable) -> Variable { x.sigmoid() }
/// relu x = max(x, 0), entry by entry (`Variable.relu()`).
public func relu(_ x: Variable) -> Variable { x.relu() }
/// xʸ (`Variable.power(_:)`).
public func pow(_ x: Variable, _ y: Variable) -> Variable { x.power(y) }
/// xᶜ for a number c (`Variable.power(_:)`).
public func pow(_ x: Variable, _ c: Double) -> Variable { x.power(c) }

/// A value or gradient as a trace keeps it: a scalar as its number, anything else as a tensor.
/// A one-entry tensor allocates its storage; a trace of a scalar program held hundreds of them.
public enum TraceValue: Sendable, Equatable {
    /// A value of shape `[]`.
    case scalar(Double)
    /// A value of any other shape (a tensor of shape `[]` is kept as `.scalar`).
    case tensor(Tensor)

    /// `tensor` as a trace keeps it.
    public init(_ tensor: Tensor) { self = tensor.isScalar ? .scalar(tensor.scalar) : .tensor(tensor) }

    /// The value as a tensor (built anew for a scalar).
    public var tensor: Tensor {
        switch self {
        case .scalar(let number): Tensor(scalar: number)
        case .tensor(let tensor): tensor
        }
    }

    /// The number of entries (1 for a scalar).
    public var count: Int {
        switch self {
        case .scalar: 1
        case .tensor(let tensor): tensor.count
        }
    }
}

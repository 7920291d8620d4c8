import Foundation

/// Which graph a node belongs to: a number no other graph in the process has had.
///
/// Every `Graph` draws one when it is made and a fresh one on `removeAll`, so a `NodeID` from
/// another graph, or from this graph before it was cleared, never passes for one of its own.
/// Identities come from one counter behind a lock; after 2³² graphs (or clears) in one process
/// the counter wraps around, and an id that old could pass again.
public struct GraphIdentity: Hashable, Sendable, CustomStringConvertible {
    let rawValue: UInt32

    /// `graph #12`.
    public var description: String { "graph #\(rawValue)" }

    /// A number no graph has had yet.
    static func next() -> GraphIdentity { GraphIdentity(rawValue: counter.next()) }

    private static let counter = Counter()

    /// The last identity handed out, behind a lock. One lock per graph: measured against the
    /// cost of a graph (a few arrays), it does not show.
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var last: UInt32 = 0

        func next() -> UInt32 {
            lock.lock()
            defer { lock.unlock() }
            last &+= 1
            return last
        }
    }
}

extension Graph {
    /// The node at creation position `index` in this graph: how to find, in a graph rebuilt from
    /// the same program, the node that had that position in an earlier graph.
    /// - Throws: `AutogradError.invalidOperand` when `index` is not in `0..<count`.
    public func node(at index: Int) throws(AutogradError) -> NodeID {
        guard index >= 0 && index < count else {
            throw .invalidOperand(operation: "node(at:)", reason: "node index \(index) is out of range: the graph has \(count) nodes")
        }
        return nodeID(index)
    }

    /// A node id of this graph, unchecked (the callers take the index from the arena itself).
    @inline(__always)
    func nodeID(_ index: Int) -> NodeID { NodeID(index: index, graph: identity) }

    /// Stops the program when `node` is not this graph's: reading another graph's node by its
    /// position read whatever sat there (issue 30). A graph evaluated again from the same program
    /// finds its own node with `node(at:)`.
    @inline(__always)
    func requireOwn(_ node: NodeID, _ function: StaticString) {
        guard node.graph == identity else {
            fatalError("\(function): \(foreignNodeError(node)); a graph evaluated again from the same program finds its node with graph.node(at: id.index)")
        }
    }

    /// The error for a node of another graph (or of this one before `removeAll`).
    func foreignNodeError(_ node: NodeID) -> AutogradError {
        .foreignNode(node: node.description, nodeGraph: node.graph.description, graph: identity.description)
    }
}

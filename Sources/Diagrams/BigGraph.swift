import Autograd

/// Drawing a graph too big to draw node by node: repeated structure collapsed into boxes.
///
/// Graphviz's `dot` layout grows much faster than linearly (0.24 s for 1,012 nodes, 5.6 s for 4,965
/// on this kind of machine), so above `defaultLimit` nodes a drawing groups the nodes that play the
/// same part: operations of the same kind at the same level (the shortest path from a leaf), and
/// the leaves that feed one such box in the same operand position. A layer of 16 scalar neurons
/// becomes one `tanh × 16` box, its 16 weights one `input × 16` box. If that still leaves more
/// than the limit, levels are taken in bands of 2, 4, 8, … until it fits. Each box shows how many
/// nodes it holds and the range of their values and gradients; each edge how many edges it stands
/// for. The output always keeps its own box.
public enum BigGraph {
    /// Traces with more nodes than this are collapsed unless the user asks for `--full`.
    public static let defaultLimit = 400

    /// A collapsed drawing: the DOT text and what was collapsed, for a note on stderr.
    public struct Collapsed: Sendable {
        /// The DOT text.
        public let dot: String
        /// How many boxes the nodes were put in.
        public let boxes: Int
        /// How many levels each band spans (1 when every level has its own boxes).
        public let band: Int
        /// One sentence for stderr: what was collapsed and how to see everything.
        public let summary: String
    }

    /// The shortest path from a leaf to each node (leaves are 0); creation order is topological.
    ///
    /// The shortest, not the longest: the neurons of a layer all sit one step from the layer's
    /// inputs, and so do all the adds of a running sum `h0 + h1 + … + h79`, which the longest path
    /// would put at 79 different depths.
    static func depths(_ trace: Trace) -> [Int] {
        var depth = [Int](repeating: 0, count: trace.nodes.count)
        for node in trace.nodes { depth[node.id] = node.inputs.map { depth[$0] + 1 }.min() ?? 0 }
        return depth
    }

    /// The collapsed drawing of `trace` in at most about `limit` boxes.
    /// - Complexity: O((nodes + edges) × log(depth)).
    public static func collapse(_ trace: Trace, limit: Int = defaultLimit, options: DiagramOptions = DiagramOptions()) -> Collapsed {
        let depth = depths(trace)
        // A leaf joins the leaves of its kind that feed the same box in the same operand position
        // (a layer's weights, its biases); an operation the others of its kind at its depth band.
        struct Key: Hashable { let band: Int; let kind: String; let consumer: Int; let operand: Int }
        var firstUse = [(consumer: Int, operand: Int)?](repeating: nil, count: trace.nodes.count)
        for edge in trace.edges where firstUse[edge.from] == nil { firstUse[edge.from] = (edge.to, edge.operand) }
        var band = 1
        var groupOf: [Int] = []
        var keys: [Key] = []
        while true {
            var index: [Key: Int] = [:]
            keys = []
            groupOf = [Int](repeating: 0, count: trace.nodes.count)
            func assign(_ node: Trace.Node, _ key: Key) {
                if let existing = index[key] { groupOf[node.id] = existing; return }
                index[key] = keys.count; groupOf[node.id] = keys.count; keys.append(key)
            }
            for node in trace.nodes where node.kind == .operation {
                assign(node, node.isOutput ? Key(band: -1, kind: "output", consumer: node.id, operand: 0)
                             : Key(band: depth[node.id] / band, kind: node.operation, consumer: -1, operand: 0))
            }
            for node in trace.nodes where node.kind != .operation {
                let use = firstUse[node.id]
                assign(node, node.isOutput ? Key(band: -1, kind: "output", consumer: node.id, operand: 0)
                             : Key(band: 0, kind: node.kind.rawValue, consumer: use.map { groupOf[$0.consumer] } ?? -1, operand: use?.operand ?? 0))
            }
            if keys.count <= max(limit, 1) || band > trace.nodes.count { break }
            band *= 2
        }
        var members = [[Int]](repeating: [], count: keys.count)
        for node in trace.nodes { members[groupOf[node.id]].append(node.id) }

        let text = DiagramText(precision: options.precision)
        func range(_ values: [Tensor]) -> String {
            var low = Double.infinity, high = -Double.infinity
            for value in values { for x in value.storage { low = min(low, x); high = max(high, x) } }
            guard low <= high else { return "?" }
            return low == high ? text.number(low) : "\(text.number(low)) … \(text.number(high))"
        }
        let showGradients = trace.hasGradients && !options.forwardOnly
        var lines = [
            "digraph trace {",
            "  graph [rankdir=\(options.direction.rawValue), nodesep=0.3, ranksep=0.6, fontname=\"Helvetica\", fontsize=10, "
                + "labelloc=b, label=<collapsed: \(trace.nodes.count) nodes in \(keys.count) boxes (same operation at the same level"
                + (band > 1 ? ", levels in bands of \(band)" : "") + ")     <FONT COLOR=\"\(Palette.value)\">value</FONT>: range of forward results"
                + "     <FONT COLOR=\"\(Palette.gradient)\">grad</FONT>: range of ∂\(DotEscape.html(trace.outputNode.label))/∂node>];",
            "  node [fontname=\"Helvetica\", fontsize=11, margin=\"0.1,0.05\", color=\"\(Palette.ink)\"];",
            "  edge [fontname=\"Helvetica\", fontsize=10, color=\"\(Palette.muted)\", arrowsize=0.7];",
        ]
        for (group, ids) in members.enumerated() {
            let first = trace.nodes[ids[0]]
            let nodes = ids.map { trace.nodes[$0] }
            var title = ids.count == 1 ? DotEscape.html(first.label)
                : DotEscape.html(first.kind == .operation ? first.symbol : first.kind.rawValue) + " × \(ids.count)"
            if ids.count > 1, first.kind == .operation, first.symbol != first.operation { title += " <FONT COLOR=\"\(Palette.muted)\">(\(first.operation))</FONT>" }
            let depths = ids.map { depth[$0] }
            let depthText = first.kind != .operation ? (first.kind == .constant ? "constants" : "leaves")
                : depths.min() == depths.max() ? "level \(depths[0])" : "levels \(depths.min()!)–\(depths.max()!)"
            var rows = ["<TR><TD><B>\(title)</B></TD></TR>",
                        "<TR><TD><FONT COLOR=\"\(Palette.muted)\">\(depthText)</FONT></TD></TR>",
                        "<TR><TD><FONT COLOR=\"\(Palette.value)\">value \(DotEscape.html(range(nodes.map(\.value))))</FONT></TD></TR>"]
            if first.kind != .constant {
                let gradients = showGradients ? range(nodes.compactMap(\.gradient)) : "?"
                rows.append("<TR><TD><FONT COLOR=\"\(Palette.gradient)\">grad \(DotEscape.html(gradients))</FONT></TD></TR>")
            }
            var attributes = Diagram.shape(of: first)
            if ids.count > 1 { attributes.removeAll { $0.0 == "peripheries" }; attributes.append(("peripheries", "2")) }
            attributes.insert(("id", "\"g\(group)\""), at: 0)
            attributes.append(("label", "<<TABLE BORDER=\"0\" CELLBORDER=\"0\" CELLSPACING=\"0\">" + rows.joined() + "</TABLE>>"))
            let names = nodes.prefix(12).map(\.label).joined(separator: ", ") + (nodes.count > 12 ? ", …" : "")
            attributes.append(("tooltip", DotEscape.quoted("\(ids.count) node\(ids.count == 1 ? "" : "s"): \(names)")))
            lines.append("  g\(group) " + Diagram.list(attributes) + ";")
        }
        var edgeCounts: [Int: Int] = [:]   // from * groups + to → count
        var edgeOrder: [Int] = []
        for edge in trace.edges {
            let pair = groupOf[edge.from] * keys.count + groupOf[edge.to]
            if edgeCounts[pair] == nil { edgeOrder.append(pair) }
            edgeCounts[pair, default: 0] += 1
        }
        for pair in edgeOrder {
            let (from, to) = (pair / keys.count, pair % keys.count)
            let count = edgeCounts[pair]!
            lines.append("  g\(from) -> g\(to)" + (count > 1 ? " [label=\"× \(count)\"]" : "") + ";")
        }
        lines.append("}")
        let summary = "note: the graph has \(trace.nodes.count) nodes, more than \(limit); drawn as \(keys.count) boxes, "
            + "each the nodes of one operation at one level (steps from the nearest input)" + (band > 1 ? " (levels in bands of \(band))" : "")
            + ", e.g. '\(largestBox(members, trace))'; use --full to draw every node"
        return Collapsed(dot: lines.joined(separator: "\n") + "\n", boxes: keys.count, band: band, summary: summary)
    }

    /// The box holding the most nodes, as its title reads: `tanh × 80`.
    private static func largestBox(_ members: [[Int]], _ trace: Trace) -> String {
        guard let group = members.indices.max(by: { members[$0].count < members[$1].count }) else { return "" }
        let first = trace.nodes[members[group][0]]
        return "\(first.kind == .operation ? first.symbol : first.kind.rawValue) × \(members[group].count)"
    }
}

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

    /// The longest path from a leaf to each node (leaves are 0); creation order is topological, so
    /// every edge goes from a lower level to a higher one.
    static func depths(_ trace: Trace) -> [Int] {
        var depth = [Int](repeating: 0, count: trace.nodes.count)
        for node in trace.nodes { depth[node.id] = node.inputs.map { depth[$0] + 1 }.max() ?? 0 }
        return depth
    }

    /// A grouping of the nodes into boxes.
    struct Grouping {
        var groupOf: [Int]
        var count: Int
        /// Per box: the levels it spans were merged because its nodes form chains (a running sum).
        var chained: Set<Int>
    }

    /// Groups operations by kind and level (levels taken `band` at a time), optionally merging the
    /// boxes of one kind at consecutive levels that feed each other (a running sum `h0 + h1 + …`
    /// is one box, not one box per term); leaves by the box and operand position they feed.
    static func group(_ trace: Trace, depth: [Int], band: Int, chains: Bool) -> Grouping {
        struct Key: Hashable { let band: Int; let kind: String; let consumer: Int; let operand: Int }
        var index: [Key: Int] = [:]
        var count = 0
        var groupOf = [Int](repeating: -1, count: trace.nodes.count)
        func assign(_ node: Trace.Node, _ key: Key) {
            if let existing = index[key] { groupOf[node.id] = existing; return }
            index[key] = count; groupOf[node.id] = count; count += 1
        }
        for node in trace.nodes where node.kind == .operation {
            assign(node, node.isOutput ? Key(band: -1, kind: "output", consumer: node.id, operand: 0)
                         : Key(band: depth[node.id] / band, kind: node.operation, consumer: -1, operand: 0))
        }
        // Chains: a box merges into the box of the same kind one band below when one of its nodes
        // takes a node of that box as input (union-find over boxes).
        var parent = Array(0..<count)
        func root(_ x: Int) -> Int { var x = x; while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }; return x }
        var chained = Set<Int>()
        if chains {
            for node in trace.nodes where node.kind == .operation && !node.isOutput {
                for input in node.inputs where trace.nodes[input].kind == .operation && !trace.nodes[input].isOutput
                    && trace.nodes[input].operation == node.operation && groupOf[input] != groupOf[node.id] {
                    let a = root(groupOf[input]), b = root(groupOf[node.id])
                    if a != b { parent[b] = a }
                    chained.insert(a)
                }
            }
        }
        var renumber: [Int: Int] = [:]
        for node in trace.nodes where node.kind == .operation {
            let r = root(groupOf[node.id])
            if renumber[r] == nil { renumber[r] = renumber.count }
            groupOf[node.id] = renumber[r]!
        }
        let chainedBoxes = Set(chained.map { root($0) }.compactMap { renumber[$0] })
        count = renumber.count
        index = [:]
        var firstUse = [(consumer: Int, operand: Int)?](repeating: nil, count: trace.nodes.count)
        for edge in trace.edges where firstUse[edge.from] == nil { firstUse[edge.from] = (edge.to, edge.operand) }
        for node in trace.nodes where node.kind != .operation {
            let use = firstUse[node.id]
            assign(node, node.isOutput ? Key(band: -1, kind: "output", consumer: node.id, operand: 0)
                         : Key(band: 0, kind: node.kind.rawValue, consumer: use.map { groupOf[$0.consumer] } ?? -1, operand: use?.operand ?? 0))
        }
        return Grouping(groupOf: groupOf, count: count, chained: chainedBoxes)
    }

    /// Whether the boxes' graph has no cycle, so a drawing of it has no edge pointing backward.
    static func isAcyclic(_ trace: Trace, _ grouping: Grouping) -> Bool {
        var successors = [Set<Int>](repeating: [], count: grouping.count)
        var indegree = [Int](repeating: 0, count: grouping.count)
        for edge in trace.edges {
            let (a, b) = (grouping.groupOf[edge.from], grouping.groupOf[edge.to])
            if a != b && successors[a].insert(b).inserted { indegree[b] += 1 }
        }
        var ready = (0..<grouping.count).filter { indegree[$0] == 0 }
        var seen = 0
        while let box = ready.popLast() {
            seen += 1
            for next in successors[box] { indegree[next] -= 1; if indegree[next] == 0 { ready.append(next) } }
        }
        return seen == grouping.count
    }

    /// The collapsed drawing of `trace` in at most about `limit` boxes when that can be done without
    /// a cycle among the boxes; otherwise in the fewest boxes that have none.
    /// - Complexity: O((nodes + edges) × log(depth)).
    public static func collapse(_ trace: Trace, limit: Int = defaultLimit, options: DiagramOptions = DiagramOptions()) -> Collapsed {
        let depth = depths(trace)
        // Boxes per kind and level never form a cycle (every edge climbs a level); merging chains
        // or bands of levels may, and is kept only when it does not.
        var chosen = group(trace, depth: depth, band: 1, chains: false)
        var band = 1
        let chains = group(trace, depth: depth, band: 1, chains: true)
        if isAcyclic(trace, chains) { chosen = chains }
        var trial = 2
        while chosen.count > max(limit, 1) && trial <= max(depth.max() ?? 1, 1) {
            for merged in [group(trace, depth: depth, band: trial, chains: true), group(trace, depth: depth, band: trial, chains: false)]
            where merged.count < chosen.count && isAcyclic(trace, merged) {
                chosen = merged; band = trial
                break
            }
            trial *= 2
        }
        let groupOf = chosen.groupOf
        let keys = Array(0..<chosen.count)
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
                + "labelloc=b, label=<collapsed: \(trace.nodes.count) nodes in \(keys.count) boxes (same operation at the same level, a chain of one operation in one box"
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
            let depthText = first.kind != .operation ? (first.kind == .constant ? "constants" : first.kind == .parameter ? "parameters" : "inputs")
                : (depths.min() == depths.max() ? "level \(depths[0])" : "levels \(depths.min()!)–\(depths.max()!)")
                    + (chosen.chained.contains(group) ? ", chained" : "")
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
        for edge in trace.edges where groupOf[edge.from] != groupOf[edge.to] {
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
            + "each the nodes of one operation at one level (the longest path from the inputs) or one chain of it" + (band > 1 ? " (levels in bands of \(band))" : "")
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

import Autograd
@testable import Expressions
import Testing

/// The notation of quantities, claims, conditions and answers, read by the program parser.
@Suite("notation")
struct NotationTests {
    @Test("quantities in every spelling", arguments: [
        ("q", Quantity.Kind.value("q"), nil as [Int]?),
        (" df/dx ", .gradient(of: "f", by: "x"), nil),
        ("∂L/∂W[0, 1]", .gradient(of: "L", by: "W"), [0, 1]),
        ("df /dx", .gradient(of: "f", by: "x"), nil),
        ("d f / d x", .gradient(of: "f", by: "x"), nil),
        ("df/∂x", .gradient(of: "f", by: "x"), nil),
        ("dȳ/dx", .gradient(of: "ȳ", by: "x"), nil),
        ("updated  w", .updated("w"), nil),
        ("updated w [2]", .updated("w"), [2]),
        ("s [2]", .value("s"), [2]),
        ("dz", .value("dz"), nil),
    ])
    func quantities(text: String, kind: Quantity.Kind, entry: [Int]?) throws {
        let quantity = try Notation.quantity(text)
        #expect(quantity.kind == kind)
        #expect(quantity.entry == entry)
        #expect(try Notation.quantity(quantity.description).sameQuantity(as: quantity))
    }

    @Test("a quantity that is not one is an error at its column", arguments: [
        ("s[a]", 3, "an entry is written with whole numbers"),
        ("s[1:2]", 4, "an entry is written with whole numbers"),
        ("df/dx/dy", 6, "unexpected '/' after ∂f/∂x"),
        ("3", 1, "expected a quantity"),
        ("s[1.5]", 3, "an entry is written with whole numbers"),
    ])
    func badQuantities(text: String, column: Int, message: String) {
        do { _ = try Notation.quantity(text); Issue.record("accepted \(text)") } catch {
            #expect(error.position?.column == column, "\(text): \(error.message)")
            #expect(error.message.hasPrefix(message), "\(text): \(error.message)")
        }
    }

    @Test("a claim's parts, with the right side evaluated at the names given")
    func claims() throws {
        let claim = try Notation.claim("∂f/∂q = z · 2", names: [("z", Tensor(scalar: -4))])
        #expect(claim.left.kind == .gradient(of: "f", by: "q"))
        #expect(claim.right == "z · 2")
        #expect(claim.rightPosition.column == 9)
        #expect(claim.value.scalar == -8)
        #expect(claim.usesNames && !claim.isLiteral)
        let literal = try Notation.claim("df/dx = −0.25", names: [])
        #expect(literal.value.scalar == -0.25 && literal.isLiteral && !literal.usesNames)
    }

    @Test("a claim's mistakes are typed, at their column", arguments: [
        ("df/dx z", 8, NotationProblem.expectedEquals),
        ("f/dx = 1", 1, .claimStart),
        ("df dx = 1", 4, .expectedSlash(of: "f")),
        ("df/x = 1", 4, .expectedD(of: "f")),
        ("df/d = 1", 6, .expectedName(found: "'='")),
        ("df/dx = ", 9, .missingRightSide),
        ("df/dx = z = 3", 11, .twoEquals),
        ("df/dx = z; 3", 10, .oneExpression),
        ("dq/dx y = 1", 7, .unexpectedAfterLeft(found: "'y'", of: "q", by: "x")),
        ("df/dx = df/dq", 9, .quantityInFormula("∂f/∂q")),
    ])
    func claimErrors(text: String, column: Int, problem: NotationProblem) {
        do { _ = try Notation.claim(text, names: [("z", Tensor(scalar: 1))]); Issue.record("accepted \(text)") } catch {
            #expect(error.kind == .notation(problem), "\(text): \(error.message)")
            #expect(error.position?.column == column, "\(text): \(error.message)")
        }
    }

    @Test("conditions: one comparison, both sides numbers, quantities from the lookup")
    func conditions() throws {
        let lookup: QuantityLookup = { (quantity: Quantity) throws(ExpressionError) -> Tensor in
            quantity.kind == .gradient(of: "f", by: "x") ? Tensor(shape: [2], storage: [-4, 2]) : Tensor(scalar: 0)
        }
        let condition = try Notation.condition("df/dx[0] < −1", names: [], quantities: lookup)
        #expect(condition.holds && condition.left == "df/dx[0]" && condition.right == "−1" && condition.leftValue == -4)
        #expect(try Notation.condition("sum(∂f/∂x) == -2", names: [], quantities: lookup).holds)
        for (text, problem) in [("1 < 2 < 3", NotationProblem.oneComparison), ("1 = 2", .comparisonOperator), ("1 + 2", .expectedComparison)] {
            do { _ = try Notation.condition(text, names: []); Issue.record("accepted \(text)") } catch {
                #expect(error.kind == .notation(problem), "\(text): \(error.message)")
            }
        }
    }

    @Test("the notes' notation in programs: σ, ln, ·, ×, −, y²; comparisons and ∂ stay out of programs")
    func programs() throws {
        let program = try Expressions.evaluate("f = σ(z)·(1 − σ(z)) + ln(y) × 0 + y²", options: .init(inputs: [("z", Tensor(scalar: 0)), ("y", Tensor(scalar: 3))]))
        #expect(program.graph.value(of: program.output).scalar == 0.25 + 9)
        for text in ["f = x < 1", "f = ∂x"] {
            do { _ = try Expressions.evaluate(text, options: .init(inputs: [("x", Tensor(scalar: 1))])); Issue.record("accepted \(text)") } catch {
                #expect(error.message.hasPrefix("unexpected character"), "\(text): \(error.message)")
            }
        }
    }

    @Test("transposed variants splice the student's own operands", arguments: [
        ("W @ v", ["transpose(W) @ v", "W @ transpose(v)"]),
        ("transpose(W) @ [1, 2]", ["W @ [1, 2]", "transpose(W) @ transpose([1, 2])"]),
        ("sum(a[0] @ (b + c))", ["sum(transpose(a[0]) @ (b + c))", "sum(a[0] @ transpose((b + c)))"]),
    ])
    func transposed(formula: String, variants: [String]) {
        #expect(Notation.transposedVariants(formula).map(\.variant) == variants)
    }

    @Test("a formula's outline: calls by the language's names, nesting, literal numbers")
    func outline() throws {
        let outline = try Notation.outline("σ(x) + sum([[1, 2], [3, 4]]) + W[0]")
        #expect(outline.calls == ["sigmoid", "sum"])
        #expect(outline.literalNumbers == 4 && outline.literalDepth == 2 && outline.deepest == 3)
        #expect(try Notation.outline("system(\"ls\")").calls == ["system"])
    }

    @Test("a narration placeholder split at tokens: digits, lists, slices left alone", arguments: [
        ("df/dx:3", "df/dx", 3 as Int?, nil as [String]?),
        ("W[1:2]", "W[1:2]", nil, nil),
        ("[dL/dz[0], max(a, b)]:4", "[dL/dz[0], max(a, b)]", 4, ["dL/dz[0]", "max(a, b)"]),
        ("[[a, b], [c, d]]", "[[a, b], [c, d]]", nil, ["[a, b]", "[c, d]"]),
        ("[a][0]", "[a][0]", nil, nil),
    ])
    func placeholders(text: String, expression: String, digits: Int?, items: [String]?) {
        let written = Notation.placeholder(text)
        #expect(written.expression == expression && written.digits == digits && written.items == items, "\(text): \(written)")
    }
}

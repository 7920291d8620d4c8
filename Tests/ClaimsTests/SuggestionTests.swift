import Autograd
import Claims
import Expressions
import Support
import Testing

/// Everything `backprop check` prints as something to write is accepted as input (issue 27, item 1):
/// the engine's formula in "should be …", the quantities it names, the transposed product it offers.
@Suite("suggestions parse back")
struct SuggestionTests {
    /// One operation per program, each operand named, at a point away from every kink.
    static let programs: [(program: String, operands: [String], printed: Bool)] = [
        ("f = sigmoid(a)", ["a"], true), ("f = exp(a)", ["a"], true), ("f = log(a)", ["a"], true),
        ("f = sqrt(a)", ["a"], true), ("f = sin(a)", ["a"], true), ("f = cos(a)", ["a"], true),
        ("f = a * b", ["a", "b"], true), ("f = a / b", ["a", "b"], true), ("f = a ^ b", ["a", "b"], true),
        ("f = a + b", ["a", "b"], true), ("f = a - b", ["a", "b"], true), ("f = -a", ["a"], true),
        ("f = softplus(a)", ["a"], true), ("f = tanh(a)", ["a"], false), ("f = relu(a)", ["a"], false),
        ("f = abs(a)", ["a"], false), ("f = min(a, b)", ["a", "b"], false), ("f = max(a, b)", ["a", "b"], false),
        ("f = leaky_relu(a, b)", ["a", "b"], false),
    ]

    @Test("the engine's formula, when printed, reads back to the engine's gradient", arguments: programs)
    func engineFormula(program: String, operands: [String], printed: Bool) throws {
        let at = "a=0.7,b=1.3"
        let used = operands.count == 2 ? at : "a=0.7"
        let check = try ClaimCheck(source: program, inputs: used, claims: operands.map { "df/d\($0) = 0" })
        for result in check.results {
            if printed { #expect(result.engineFormula != nil, "\(program): ∂f/∂\(result.claim.withRespectTo) has no formula") }
            guard let formula = result.engineFormula else { continue }
            let names = ClaimCheck.names(of: check.job.program)
            let value = try Notation.evaluate(formula, names: names).value
            #expect(ClaimCheck.agree(value, result.engine, tolerances: nil), "\(program): \(formula)")
            // The whole line the report prints, `∂f/∂a = formula`, is a claim the tool accepts and finds right.
            let again = try ClaimCheck(source: program, inputs: used, claims: ["\(result.claim.left) = \(formula)"])
            #expect(again.passed, "\(result.claim.left) = \(formula)")
        }
    }

    @Test("the notes' σ(z)·(1 − σ(z)) is printed for sigmoid and accepted back")
    func sigmoid() throws {
        let check = try ClaimCheck(source: "f = sigmoid(z)", inputs: "z=0.5", claims: ["df/dz = 1"])
        #expect(check.results[0].engineFormula == "σ(z)·(1 − σ(z))")
        #expect(check.summary?.contains("should be σ(z)·(1 − σ(z)) = 0.235004") == true, "\(check.summary ?? "")")
        #expect(try ClaimCheck(source: "f = sigmoid(z)", inputs: "z=0.5", claims: ["∂f/∂z = σ(z)·(1 − σ(z))"]).passed)
    }

    @Test("a diagnosis names the student's expression, not a node number")
    func noNodeNumbers() throws {
        let check = try ClaimCheck(source: "n = w * x + b; f = tanh(n)", inputs: "w=0.5,x=2,b=-1", claims: ["df/dw = 1 - tanh(n)^2"])
        let explanation = try #require(check.results[0].explanation)
        #expect(explanation.contains("∂f/∂(w * x)"), "\(explanation)")
        #expect(!explanation.contains("n2"), "\(explanation)")
    }

    @Test("a product of mismatched sizes offers a transposed variant that parses and fits")
    func transposeHint() throws {
        let error = #expect(throws: WorkbenchFailure.self) {
            try ClaimCheck(source: "f = sum(W @ v)", inputs: "W=[[1,2,3],[4,5,6]],v=[1,0,-1]", claims: ["df/dv = W @ [1, 1]"])
        }
        let message = try #require(error?.message)
        let variant = try #require(message.components(separatedBy: "did you mean ").last?.dropLast())
        #expect(variant == "transpose(W) @ [1, 1]", "\(message)")
        #expect(try ClaimCheck(source: "f = sum(W @ v)", inputs: "W=[[1,2,3],[4,5,6]],v=[1,0,-1]", claims: ["df/dv = \(variant)"]).results.count == 1)
    }

    @Test("a quantity printed by the tool parses back to the same quantity", arguments: ["df/dx", "∂f/∂W[0, 1]", "d f/d x", "updated w [2]", "s[2]", "dȳ/dx"])
    func quantities(text: String) throws {
        let quantity = try Notation.quantity(text)
        #expect(try Notation.quantity(quantity.description).sameQuantity(as: quantity))
    }
}

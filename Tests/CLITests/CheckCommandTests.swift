import Foundation
import Testing

// End-to-end tests of `backprop check`: claims about gradients checked against the engine, the
// common mistakes named, and the exit statuses (0 every claim right, 1 a claim wrong, 2 bad input).

private let sumTimes = ["check", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4"]

/// `--claim c` for each claim.
private func claims(_ texts: String...) -> [String] { texts.flatMap { ["--claim", $0] } }

/// The report line of the claim whose left and right sides read `claim` (`∂f/∂x = z`).
private func line(_ stdout: String, _ claim: String) -> String {
    stdout.split(separator: "\n").map(String.init).first { $0.contains(" \(claim) ") } ?? ""
}

@Suite("backprop check", .serialized)
struct CheckCommandTests {
    @Test("right claims exit 0, each with ✓ and the engine's value beside the claimed one", arguments: [
        (["q = x + y; f = q * z", "x=-2,y=5,z=-4"], ["df/dx = z", "df/dz = 3", "∂f/∂q = z", "dq/dx = 1", "df/dy = -4"]),
        (["n = w * x + b; f = tanh(n)", "w=0.5,x=2,b=-1"], ["df/dn = 1 - tanh(n)^2", "df/dw = x * (1 - f^2)", "df/db = 1 - f^2", "dn/dw = x"]),
        (["f = x * x", "x=2"], ["df/dx = 4", "df/dx = 2 * x", "df/dx = x + x"]),
        (["f = relu(x) + log(y)", "x=2,y=0.5"], ["df/dx = step(x)", "df/dy = 1/y", "df/dy = 2.0"]),
        (["f = sum(W @ v)", "W=[[1,2,3],[4,5,6]],v=[1,0,-1]"], ["df/dW = [[1, 0, -1], [1, 0, -1]]", "df/dv = sum(W, 0)"]),
        (["f = tanh(w * x + b)", "w=0.3,x=2,b=-1"], ["df/dw = 1.7", "df/dw = 1.71", "df/dw = 1.7113"]),
    ])
    func rightClaims(program: [String], claimTexts: [String]) throws {
        let result = try CLI.run(["check", program[0], "--at", program[1]] + claimTexts.flatMap { ["--claim", $0] })
        #expect(result.status == 0, "\(claimTexts): \(result.stdout)\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let marks = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  ✓ ") }
        #expect(marks.count == claimTexts.count, "\(result.stdout)")
        #expect(result.stdout.hasSuffix(claimTexts.count == 1 ? "the claim is right\n" : "all \(claimTexts.count) claims are right\n"))
    }

    @Test("the issue's example: two right claims, the formula also at 5 random points")
    func example() throws {
        let result = try CLI.run(sumTimes + claims("df/dx = z", "df/dz = 3"))
        #expect(result.status == 0)
        #expect(result.stdout == """
            claims at x = -2, y = 5, z = -4
              ✓ ∂f/∂x = z   claimed -4   engine -4   also right at 5 random points
              ✓ ∂f/∂z = 3   claimed 3    engine 3
            all 2 claims are right

            """)
    }

    @Test("a wrong number exits 1 with ✗, the claimed and the engine's values, and one line on stderr")
    func wrongNumber() throws {
        let result = try CLI.run(sumTimes + claims("df/dz = 4"))
        #expect(result.status == 1)
        #expect(line(result.stdout, "∂f/∂z = 4").hasPrefix("  ✗ ∂f/∂z = 4   claimed 4   engine 3"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("the claim is wrong\n"))
        #expect(result.stderr == "backprop: error: the claim is wrong\n")
    }

    @Test("a number rounded to the digits it gives is right; one off in its last digit is wrong")
    func rounding() throws {
        // ∂f/∂w = x(1 − tanh²(w·x + b)) = 2(1 − tanh²(−0.4)) = 1.711278…
        let right = try CLI.run(["check", "f = tanh(w * x + b)", "--at", "w=0.3,x=2,b=-1"] + claims("df/dw = 1.71", "df/dw = 1.7113"))
        #expect(right.status == 0, "\(right.stdout)")
        #expect(right.stdout.contains("to the digits given"))
        let wrong = try CLI.run(["check", "f = tanh(w * x + b)", "--at", "w=0.3,x=2,b=-1"] + claims("df/dw = 1.72", "df/dw = 1.7112"))
        #expect(wrong.status == 1)
        #expect(wrong.stdout.contains("2 of 2 claims are wrong"), "\(wrong.stdout)")
    }

    @Test("a formula right at the given point but wrong elsewhere fails, naming the point")
    func formulaWrongElsewhere() throws {
        let number = try CLI.run(["check", "f = x * x", "--at", "x=2"] + claims("df/dx = 4"))
        #expect(number.status == 0)
        let formula = try CLI.run(["check", "f = x * x", "--at", "x=2"] + claims("df/dx = 4", "df/dx = x + 2"))
        #expect(formula.status == 1, "\(formula.stdout)")
        #expect(line(formula.stdout, "∂f/∂x = 4").hasPrefix("  ✓"))
        let failed = line(formula.stdout, "∂f/∂x = x + 2")
        #expect(failed.hasPrefix("  ✗"), "\(formula.stdout)")
        #expect(failed.contains("at random point 1: x = "), "\(failed)")
        #expect(failed.contains("at the given point both are 4"), "\(failed)")
        #expect(formula.stdout.contains("(it agrees at the given point only)"), "\(formula.stdout)")
        // With no random points, the formula is only checked where it agrees.
        let noPoints = try CLI.run(["check", "f = x * x", "--at", "x=2", "--points", "0"] + claims("df/dx = x + 2"))
        #expect(noPoints.status == 0)
    }

    @Test("the random points are seeded: the same seed gives the same report")
    func seeded() throws {
        let arguments = ["check", "f = x * x", "--at", "x=2"] + claims("df/dx = x + 2")
        let first = try CLI.run(arguments + ["--seed", "42"]), second = try CLI.run(arguments + ["--seed", "42"])
        #expect(first.stdout == second.stdout)
        #expect(first.status == 1)
    }

    @Test("each common mistake is named in the ✗ line", arguments: [
        // (program, --at, claim, what the ✗ line says)
        ("q = x + y; f = q * z", "x=-2,y=5,z=-4", "df/dq = -z", "sign error: the claim is minus ∂f/∂q"),
        ("q = x + y; f = q * z", "x=-2,y=5,z=-4", "df/dx = 4", "sign error"),
        ("n = w * x + b; f = tanh(n)", "w=0.5,x=2,b=-1", "df/dw = 1 - tanh(n)^2", "missing local gradient: the claim is the upstream ∂f/∂(w * x) = 1 alone; multiply it by the local gradient ∂(w * x)/∂w = x = 2"),
        ("a = x * y; b = x + 3; f = a * b", "x=2,y=3", "df/dx = y * b", "fan-out not summed: x feeds 2 operations (a, b), and the claim is only the contribution through a; ∂f/∂x is their sum 15 + 6 = 21"),
        ("f = x * x", "x=2", "df/dx = 2", "fan-out not summed"),
        ("f = sum(W @ v)", "W=[[1,2,3],[4,5,6]],v=[1,0,-1]", "df/dW = [[1, 1], [0, 0], [-1, -1]]", "transposed matrix: the claim is the transpose of ∂f/∂W"),
        ("h = W @ v; f = sum(h * h)", "W=[[1,2],[3,4]],v=[1,-1]", "df/dW = [[-2, -2], [2, 2]]", "transposed matrix"),
        ("q = x + y; f = q * z", "x=-2,y=5,z=-4", "df/dx = 1", "missing upstream gradient: the claim is the local gradient ∂q/∂x = 1 alone; multiply it by the upstream ∂f/∂q = -4"),
    ])
    func mistakes(program: String, at: String, claim: String, said: String) throws {
        let result = try CLI.run(["check", program, "--at", at] + claims(claim))
        #expect(result.status == 1, "\(claim): \(result.stdout)\(result.stderr)")
        let marked = result.stdout.split(separator: "\n").first { $0.hasPrefix("  ✗") }.map(String.init) ?? ""
        #expect(marked.contains(said), "\(claim): \(result.stdout)")
    }

    @Test("a chain of claims: the report names the first wrong link in backward order")
    func chain() throws {
        let result = try CLI.run(sumTimes + claims("dq/dx = 1", "df/dq = x + y"))
        #expect(result.status == 1)
        #expect(result.stdout.contains("\n∂q/∂x is right; ∂f/∂q should be z = -4, you gave x + y = 3\n"), "\(result.stdout)")
        #expect(result.stderr.contains("the first in backward order is ∂f/∂q"))
        // Two wrong links: ∂f/∂q comes before ∂q/∂x in backward order, whatever order they are given in.
        let two = try CLI.run(sumTimes + claims("dq/dx = -1", "df/dz = 3", "df/dq = -z"))
        #expect(two.stdout.contains("\n∂f/∂z is right; ∂f/∂q should be z = -4, you gave -z = 4 (sign error); also wrong after it: ∂q/∂x\n"), "\(two.stdout)")
        #expect(two.stdout.hasSuffix("2 of 3 claims are wrong\n"))
    }

    @Test("claims about intermediate nodes and nodes that do not depend on each other")
    func intermediate() throws {
        let result = try CLI.run(sumTimes + claims("dq/dx = 1", "dq/dy = 1", "dq/dz = 0", "dz/dz = 1", "df/df = 1"))
        #expect(result.status == 0, "\(result.stdout)")
        #expect(line(result.stdout, "∂q/∂z = 0").contains("q does not depend on z"))
        let wrong = try CLI.run(sumTimes + claims("dq/dz = 1"))
        #expect(wrong.status == 1)
        #expect(line(wrong.stdout, "∂q/∂z = 1").contains("q does not depend on z, so ∂q/∂z is 0"))
    }

    @Test("programs from --file and from standard input")
    func files() throws {
        let directory = try CLI.temporaryDirectory()
        try "q = x + y\nf = q * z\n".write(toFile: directory + "/prog.bp", atomically: true, encoding: .utf8)
        let file = try CLI.run(["check", "--file", "prog.bp", "--at", "x=-2,y=5,z=-4"] + claims("df/dx = z"), in: directory)
        #expect(file.status == 0, "\(file.stderr)")
        let stdin = try CLI.run(["check", "-", "--at", "x=-2,y=5,z=-4"] + claims("df/dz = q"), stdin: "q = x + y; f = q * z")
        #expect(stdin.status == 0, "\(stdin.stderr)")
    }

    @Test("bad input: one message line on stderr with the column inside the claim, exit 2", arguments: [
        ("df/dx z", "--claim:8: error: expected '=' in the claim"),
        ("df/dxx = z", "--claim:5: error: unknown name 'xx' in the claim's left side; did you mean 'x'?"),
        ("dquux/dx = 1", "--claim:2: error: unknown name 'quux' in the claim's left side; the program's names are f, q, x, y, z"),
        ("f/dx = 1", "--claim:1: error: a claim starts with dA/dB or ∂A/∂B"),
        ("df dx = 1", "--claim:4: error: expected '/' after df"),
        ("df/d = 1", "--claim:6: error: expected a name after 'd' or '∂'"),
        ("df/dx = ", "--claim:9: error: missing the right side after '='"),
        ("df/dx = zz", "--claim:9: error: unknown name 'zz'; did you mean 'z'?"),
        ("df/dx = w", "--claim:9: error: unknown name 'w' in the claim's right side; the program's names are f, q, x, y, z"),
        ("df/dx = (z", "--claim:11: error: expected ')' to close the '(' at column 9, found the end of the claim"),
        ("df/dx = z = 3", "--claim:11: error: a claim has one '='"),
        ("df/dx = z; 3", "--claim:10: error: the right side is one expression"),
        ("df/dx = [x]", "--claim:10: error: tensor entries must be numbers, found 'x'"),
        ("dq/dx y = 1", "--claim:7: error: unexpected 'y' after dq/dx"),
    ])
    func badClaims(claim: String, message: String) throws {
        let result = try CLI.run(sumTimes + claims(claim))
        #expect(result.status == 2, "\(claim): \(result.stdout)")
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("backprop: " + message) == true, "\(claim): \(result.stderr)")
        // The message is one line; the claim and a caret under the column follow it.
        #expect(lines.count == 4 && lines[3].isEmpty, "\(result.stderr)")
        #expect(lines[1] == "    " + claim)
        let column = Int(message.dropFirst("--claim:".count).prefix { $0.isNumber }) ?? 0
        #expect(lines[2] == String(repeating: " ", count: 4 + column - 1) + "^")
    }

    @Test("other bad input exits 2", arguments: [
        (["check", "q = x + y; f = q * z", "--at", "x=-2,y=5,z=-4"], "no claim to check"),
        (["check", "--at", "x=1", "--claim", "df/dx = 1"], "missing the program"),
        (["check", "f = x * zz", "--at", "x=1,z=2", "--claim", "df/dx = 1"], "program:1:9: error: unknown name 'zz'; did you mean 'z'?"),
        (["check", "h = [1, 2] * x; f = sum(h)", "--at", "x=1", "--claim", "dh/dx = 1"], "--claim:2: error: h has shape [2]; a claim's A must be a scalar"),
        (["check", "--file", "/nonexistent/prog.bp", "--claim", "df/dx = 1"], "/nonexistent/prog.bp: error: no such file"),
        (["check", "a = 3; f = a * x", "--at", "x=2", "--claim", "df/da = x"], "--claim:5: error: a is a constant (a = 3 in the program)"),
    ])
    func otherBadInput(arguments: [String], message: String) throws {
        let result = try CLI.run(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("backprop: ") && first.contains(message), "\(arguments): \(result.stderr)")
    }

    @Test("NaN or infinity at the given point is a failed run (exit 1), as in trace")
    func nonFinite() throws {
        let result = try CLI.run(["check", "f = log(x)", "--at", "x=0", "--claim", "df/dx = 1/x"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("backprop: program:1:5: error: the value of f (log) is infinity"))
    }

    @Test("--json parses, has every field with sorted keys, and keeps the exit status")
    func json() throws {
        let result = try CLI.run(sumTimes + claims("df/dx = z", "df/dq = -z", "dq/dx = 1") + ["--json"])
        #expect(result.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["passed"] as? Bool == false)
        #expect(object["firstWrong"] as? String == "∂f/∂q")
        #expect((object["summary"] as? String)?.hasPrefix("∂q/∂x and ∂f/∂x are right; ∂f/∂q should be z = -4") == true, "\(object["summary"] ?? "")")
        #expect((object["points"] as? [Any])?.count == 6)
        #expect(object["seed"] as? Int == 1)
        let claims = try #require(object["claims"] as? [[String: Any]])
        #expect(claims.count == 3)
        let fields = ["left", "right", "claimed", "engine", "verdict", "mistake", "pointsTried", "point", "kind", "text", "of", "withRespectTo"]
        for claim in claims { for field in fields { #expect(claim[field] != nil, "no \(field)") } }
        #expect(claims[0]["left"] as? String == "∂f/∂x")
        #expect(claims[0]["right"] as? String == "z")
        #expect(claims[0]["verdict"] as? String == "right")
        #expect(claims[0]["claimed"] as? Double == -4 && claims[0]["engine"] as? Double == -4)
        #expect(claims[0]["pointsTried"] as? Int == 6)
        #expect(claims[0]["mistake"] is NSNull)
        #expect(claims[1]["verdict"] as? String == "wrong")
        #expect(claims[1]["mistake"] as? String == "sign_error")
        #expect(claims[1]["engineFormula"] as? String == "z")
        #expect(claims[2]["kind"] as? String == "number")
        #expect(claims[2]["pointsTried"] as? Int == 1)
        // Keys are sorted, as in every JSON the workbench writes.
        let keys = result.stdout.split(separator: "\n").filter { $0.hasPrefix("      \"") }.map { $0.split(separator: "\"")[1] }
        #expect(Array(keys.prefix(16)) == Array(keys.prefix(16)).sorted(), "\(keys)")
    }

    @Test("--help names the check subcommand")
    func help() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("check"))
        let own = try CLI.run(["check", "--help"])
        #expect(own.status == 0)
        #expect(own.stdout.contains("--claim"))
    }
}

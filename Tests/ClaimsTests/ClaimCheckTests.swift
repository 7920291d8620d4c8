import Autograd
import Claims
import Support
import Testing

/// Claims checked in-process (the CLI tests run them through `backprop check` too).
@Suite("claims about gradients, checked in the library")
struct ClaimCheckTests {
    let program = "q = x + y; f = q * z"
    let point = "x=-2,y=5,z=-4"

    @Test("right numbers and formulas pass; the engine's figures are beside them")
    func rightClaims() throws {
        let check = try ClaimCheck(source: program, inputs: point, claims: ["df/dx = z", "df/dz = 3", "df/dq = -4"])
        #expect(check.passed)
        #expect(check.results.map { $0.engine.scalar } == [-4, 3, -4])
    }

    @Test("a claim that is minus the gradient at every point is a sign error; a wrong claim fails")
    func signError() throws {
        let check = try ClaimCheck(source: program, inputs: point, claims: ["df/dx = -z"])
        #expect(!check.passed)
        #expect(check.results[0].mistake == .signError)
        let wrong = try ClaimCheck(source: program, inputs: point, claims: ["df/dy = 7"])
        #expect(!wrong.passed)
        #expect(wrong.results[0].engine.scalar == -4)
    }

    @Test("a claim that does not parse is bad input placed inside the claim")
    func badClaim() throws {
        do {
            _ = try ClaimCheck(source: program, inputs: point, claims: ["df/dx = zz"])
            Issue.record("accepted a claim with an unknown name")
        } catch {
            #expect(error.exitStatus == .badInput)
            #expect(error.location?.file == "--claim")
            #expect(error.location?.column != nil)
        }
    }

    @Test("no claim at all is bad input")
    func noClaim() {
        #expect(throws: WorkbenchFailure.self) { try ClaimCheck(source: program, inputs: point, claims: []) }
    }
}

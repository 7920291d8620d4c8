import Autograd
import Testing
@testable import Lessons

/// The one grammar of quantities that lesson checks and exercises are written in.
@Suite("QuantityText")
struct QuantityTextTests {
    @Test("names, gradients in both spellings, updated parameters, each with or without an entry")
    func forms() throws {
        #expect(try QuantityText("q") == QuantityText(kind: .value("q"), entry: nil, base: "q"))
        #expect(try QuantityText(" df/dx ").kind == .gradient(of: "f", by: "x"))
        #expect(try QuantityText("∂L/∂W[0, 1]") == QuantityText(kind: .gradient(of: "L", by: "W"), entry: [0, 1], base: "∂L/∂W"))
        #expect(try QuantityText("df /dx").kind == .gradient(of: "f", by: "x"))
        #expect(try QuantityText("d f / d x").kind == .value("d f / d x"))   // "/d" is written together
        #expect(try QuantityText("updated  w").kind == .updated("w"))
        #expect(try QuantityText("updated w [2]") == QuantityText(kind: .updated("w"), entry: [2], base: "updated w"))
        #expect(try QuantityText("s [2]") == QuantityText(kind: .value("s"), entry: [2], base: "s"))
        // A name that only starts with d and holds no /d is a name.
        #expect(try QuantityText("dz").kind == .value("dz"))
        #expect(try QuantityText("df/dx/dy").kind == .value("df/dx/dy"))
    }

    @Test("an entry of anything but whole numbers is refused with the message both callers show")
    func badEntries() {
        for text in ["s[a]", "s[]", "W[0, b]", "s[1.5]"] {
            #expect(throws: QuantityTextError.self, "\(text)") { try QuantityText(text) }
        }
        #expect(QuantityTextError().message == "an entry is written with whole numbers, e.g. s[0] or W[1, 2]")
    }

    @Test("an entry is picked in row-major order, and only inside the shape")
    func pick() {
        let w = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        #expect(QuantityText.pick([1, 2], in: w) == 6)
        #expect(QuantityText.pick([0, 1], in: w) == 2)
        #expect(QuantityText.pick([2, 0], in: w) == nil)
        #expect(QuantityText.pick([0, -1], in: w) == nil)
        #expect(QuantityText.pick([1], in: w) == nil)
    }
}

import Autograd
import Expressions
import Foundation
import Testing

// Calls with PyTorch's parameters (issue 27 item 2): keywords, their errors at line:column, the
// calls written before keywords existed, and hostile window sizes refused before any work.

@Suite("Calls with PyTorch's parameters")
struct TorchCallTests {
    static let image = "x=[[[1,2,3],[4,5,6],[7,8,9]]],w=[[[[1,0],[0,-1]]]],b=[0.5]"

    static func error(_ source: String, _ at: String = image) throws -> ExpressionError {
        do {
            _ = try Expressions.evaluate(source, options: .init(inputs: InputValues.parse(at), rejectUnusedInputs: false))
        } catch {
            return error
        }
        Issue.record("\(source) was accepted")
        throw CancellationError()
    }

    static func value(_ source: String, _ at: String = image) throws -> Tensor {
        let program = try Expressions.evaluate(source, options: .init(inputs: InputValues.parse(at), rejectUnusedInputs: false))
        return program.graph.value(of: program.output)
    }

    @Test("a mistake in the arguments is one line at its place", arguments: [
        ("f = sum(conv2d(x, w, strid=2))", "1:22", "conv2d has no argument 'strid'; did you mean 'stride'? (it takes input, weight, bias, stride, padding)"),
        ("f = sum(conv2d(x, w, stride=2, stride=3))", "1:32", "conv2d is given its argument 'stride' twice"),
        ("f = sum(conv2d(x, w, b, bias=b))", "1:25", "conv2d is given its argument 'bias' twice"),
        ("f = sum(conv2d(x, w, stride=x))", "1:29", "the argument 'stride' of conv2d must be a positive integer or a pair of equal ones such as [2, 2], found 'x'"),
        ("f = sum(conv2d(x, w, stride=0))", "1:29", "the argument 'stride' of conv2d must be a positive integer or a pair of equal ones such as [2, 2], got 0"),
        ("f = sum(conv2d(x, w, stride=2.5))", "1:29", "expected an integer below 10⁹, found 2.5"),
        ("f = sum(x, keepdim=2)", "1:20", "the argument 'keepdim' of sum must be true or false, found '2'"),
        ("f = sum(x, x)", "1:12", "the argument 'dim' of sum must be an integer, found 'x'"),
        ("f = sum(conv2d(x, w, stride=2, b))", "1:32", "a positional argument follows a keyword argument in the call to conv2d"),
        ("f = sum(max_pool2d(x, stride=1))", "1:9", "max_pool2d needs its argument 'kernel_size'"),
        ("f = sum(max_pool2d(x, kernel_size=[2, 3]))", "1:35", "(windows are square here)"),
        ("f = var(x, 1, 1)", "1:15", "var takes at most 2 arguments by position; give the others by keyword (correction=, keepdim=)"),
        ("f = exp()", "1:5", "exp takes 1 argument, got 0"),
        ("f = max(x)", "1:5", "max takes 2 arguments, got 1"),
        ("f = sum(x, 1, true, 2)", "1:5", "sum takes 1 to 3 arguments, got 4"),
        ("\nf = sum(max_pool2d(x, 3, padding=2))", "2:9", "max_pool2d: padding 2 is more than half the 3×3 window (PyTorch's rule)"),
        ("f = cross_entropy(flatten(x), 9)", "1:5", "cross_entropy: target 9 is not a class index from 0 to 8"),
        ("f = nll_loss(log_softmax(flatten(x), 0), 9)", "1:5", "nll_loss: target 9 is not a class index from 0 to 8"),
        ("f = sum(x, 3)", "1:5", "sum: dim 3 is out of range; here it must be from -3 to 2, as in PyTorch"),
        ("f = sum(softmax(x, dim=-4))", "1:9", "softmax: dim -4 is out of range; here it must be from -3 to 2, as in PyTorch"),
        ("f = cross_entropy(x, 7)", "1:5", "cross_entropy: takes logits [N, C] with class indices [N] (or probabilities of the logits' shape), or logits [C] with one class index; got [1, 3, 3] and []"),
        ("f = sum(conv2d(x, b))", "1:9", "conv2d: the weight must be [F, C, K, K] with C = 1 channels of the input (square kernels), got [1]"),
        ("f = sum(conv2d(x, w, w))", "1:22", "conv2d: the bias must be [1], one per filter, got [1, 1, 2, 2]"),
        ("f = sum(flatten(x, 2, 1))", "1:9", "flatten: start_dim 2 comes after end_dim 1"),
        ("f = sum(cat(x, 0))", "1:13", "the argument 'tensors' of cat must be a list of values such as [a, b], found 'x'"),
        ("f = sum(cat([x, w], 1))", "1:9", "shape mismatch in 'cat': [1, 3, 3] and [1, 1, 2, 2]"),
        ("f = sum(stack([x, w]))", "1:9", "stack: every value must have the same shape, got [1, 3, 3] and [1, 1, 2, 2]"),
        ("f = sum(transpose(x, 0))", "1:9", "transpose: takes both dim0 and dim1 (two axes swapped), or neither (every axis reversed)"),
        ("f = sum(permute(x, [0, 0, 1]))", "1:9", "permute: dims (0, 0, 1) are not an order of the 3 axes of [1, 3, 3]"),
        ("f = sum(unsqueeze(x, 4))", "1:9", "unsqueeze: dim 4 is out of range; here it must be from -4 to 3, as in PyTorch"),
    ])
    func mistakes(source: String, place: String, message: String) throws {
        let error = try Self.error(source)
        #expect(error.position.map(\.description) == place, "\(error)")
        #expect(error.message.hasSuffix(message) || error.message.contains(message), "\(error.message)")
        #expect(!error.line().contains("\n"))
    }

    @Test("hostile windows are refused before their work", arguments: [
        ("f = sum(conv2d(x, w, padding=999999999))", "conv2d: the result's shape [1, 1, 2000000000, 2000000000] has more entries than an integer can count"),
        ("f = sum(conv2d(x, w, padding=3000))", "conv2d: the result would have 36024004 entries (shape [1, 1, 6002, 6002]); the limit is 1048576 entries per value"),
        ("f = sum(max_pool2d(x, 999999999, padding=499999999))", "max_pool2d: its windows (N·C·H′·W′·K·K"),
        ("f = sum(avg_pool2d(x, 999999999))", "avg_pool2d: a 999999999×999999999 window with stride 999999999 and padding 0 does not fit [1, 1, 3, 3]"),
        ("f = sum(conv2d(x, w, stride=1e300))", "expected an integer below 10⁹"),
    ])
    func hostile(source: String, message: String) throws {
        let start = ContinuousClock.now
        let error = try Self.error(source)
        #expect(error.message.contains(message), "\(error.message)")
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("overlapping pooling windows of a large image are refused by their total work")
    func poolingWork() throws {
        let image = Tensor(shape: [1, 1, 1000, 1000], storage: [Double](repeating: 1, count: 1_000_000))
        let start = ContinuousClock.now
        #expect(throws: ExpressionError.self) {
            _ = try Expressions.evaluate("f = sum(max_pool2d(x, 500, stride=1))", options: .init(inputs: [("x", image)]))
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test("keywords and positions give the same call; None leaves an optional out")
    func keywordsAndPositions() throws {
        let positional = try Self.value("f = sum(conv2d(x, w, b, 1, 1))")
        #expect(try Self.value("f = sum(conv2d(x, w, b, stride=1, padding=1))") == positional)
        #expect(try Self.value("f = sum(conv2d(input=x, weight=w, padding=[1, 1], bias=b))") == positional)
        #expect(try Self.value("f = sum(conv2d(x, w, None, padding=1))") == Tensor(scalar: positional.scalar - 16 * 0.5))
        #expect(try Self.value("f = sum(x, dim=1)") == Tensor(shape: [1, 3], storage: [12, 15, 18]))
        #expect(try Self.value("f = sum(x, axis=-1, keepdim=True)") == Tensor(shape: [1, 3, 1], storage: [6, 15, 24]))
    }

    @Test("the calls written before keywords keep their meaning")
    func oldCalls() throws {
        let at = "W=[[1,2,3],[4,5,6]]"
        #expect(try Self.value("f = sum(W, 1)", at) == Tensor(vector: [6, 15]))
        #expect(try Self.value("f = mean(W, -1)", at) == Tensor(vector: [2, 5]))
        #expect(try Self.value("f = reshape(W, [3, -1])", at).shape == [3, 2])
        #expect(try Self.value("f = transpose(W)", at).shape == [3, 2])
        #expect(try Self.value("f = leaky_relu(W - 3, 0.5)", at) == Tensor(shape: [2, 3], storage: [-1, -0.5, 0, 1, 2, 3]))
        #expect(try Self.value("f = exp(log_softmax(W))", at) == Tensor(shape: [2, 3], storage: try Self.value("f = softmax(W, dim=1)", at).storage))
    }

    @Test("shapes: keepdim, flatten, [C, H, W] in and out")
    func shapes() throws {
        #expect(try Self.value("f = sum(x, 1, keepdim=true)").shape == [1, 1, 3])
        #expect(try Self.value("f = amax(x, keepdim=true)").shape == [1, 1, 1])
        #expect(try Self.value("f = flatten(x, 1)").shape == [1, 9])
        #expect(try Self.value("f = conv2d(x, w, b)").shape == [1, 2, 2])
        #expect(try Self.value("f = max_pool2d(x, 2, stride=1)") == Tensor(shape: [1, 2, 2], storage: [5, 6, 8, 9]))
        #expect(try Self.value("f = argmax(x)") == Tensor(scalar: 8))
        #expect(try Self.value("f = argmax(x, dim=2, keepdim=true)") == Tensor(shape: [1, 3, 1], storage: [2, 2, 2]))
    }
}

#!/usr/bin/env python3
"""Reference values for the dropout2d test in Tests/NeuralNetworksTests/Dropout2dTests.swift.

torch.nn.Dropout2d(p=0.25) in training mode on x of shape [N=2, C=4, H=2, W=3] (float64, seeded):
which maps it kept, its output y, and the gradient of sum(g * y) with respect to x for a seeded
upstream g. Then the same module after .eval(): the identity, gradient g.

Prints the Swift literals the test holds (the test runs without torch).
Usage: python scripts/dropout2d-reference.py   (needs torch; a CPU wheel is enough)
"""
import torch

torch.manual_seed(28)
N, C, H, W, P = 2, 4, 2, 3, 0.25
x = torch.round(torch.randn(N, C, H, W, dtype=torch.float64) * 1000) / 1000
x.requires_grad_(True)
g = torch.round(torch.randn(N, C, H, W, dtype=torch.float64) * 1000) / 1000

layer = torch.nn.Dropout2d(p=P)
layer.train()
y = layer(x)
(y * g).sum().backward()
# The factor of each map: 0 or 1/(1 - p), read off where x is not 0.
factors = []
for n in range(N):
    for c in range(C):
        plane_x, plane_y = x[n, c].detach().flatten(), y[n, c].detach().flatten()
        i = int(torch.argmax(plane_x.abs()))
        factors.append(float(plane_y[i] / plane_x[i]))
dx_train = x.grad.clone()

x.grad = None
layer.eval()
y_eval = layer(x)
(y_eval * g).sum().backward()
assert torch.equal(y_eval.detach(), x.detach()) and torch.equal(x.grad, g)


def swift(values):
    return "[" + ", ".join(repr(round(float(v), 12)) for v in values) + "]"


print(f"// torch {torch.__version__}, nn.Dropout2d(p={P}), x and g of shape {[N, C, H, W]}, seed 28")
print(f"static let x: [Double] = {swift(x.detach().flatten())}")
print(f"static let g: [Double] = {swift(g.flatten())}")
print(f"static let factors: [Double] = {swift(factors)}")
print(f"static let y: [Double] = {swift(y.detach().flatten())}")
print(f"static let dx: [Double] = {swift(dx_train.flatten())}")

#!/usr/bin/env python3
"""Reference figures for Tests/ExpressionsTests/TorchOpsTests.swift, from PyTorch in float64.

Every case is a program of the expression language that is also Python: it is run as written, once
by the workbench (the Swift test) and once here by `exec` with torch's functions bound to the
language's names (conv2d is torch.nn.functional.conv2d, sum is torch.sum, true is True, ...), so the
names, the argument order and the keywords are PyTorch's or the case fails here. Inputs are drawn
from a seeded float64 generator (a few cases spell out ties); every floating input requires a
gradient; inputs named t* are class indices (torch.long, no gradient; the engine gives them 0).

Writes Tests/ExpressionsTests/TorchReference/torch-ops.json: per case the program, the inputs
(shape and values), the output and every input's gradient, printed with repr (shortest round-trip).

Usage: python scripts/torch-ops-reference.py   (needs torch; made with the CPU wheel
torch-2.13.0+cpu in a venv outside the repository, python 3.11)
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(27)


def tensorize(t):
    return t if isinstance(t, torch.Tensor) else torch.tensor(t)


NAMES = {
    "conv2d": F.conv2d, "max_pool2d": F.max_pool2d, "avg_pool2d": F.avg_pool2d, "flatten": torch.flatten,
    "softmax": F.softmax, "log_softmax": F.log_softmax,
    "cross_entropy": lambda i, t: F.cross_entropy(i, tensorize(t)),
    "nll_loss": lambda i, t: F.nll_loss(i, tensorize(t)),
    "mse_loss": F.mse_loss, "l1_loss": F.l1_loss, "binary_cross_entropy": F.binary_cross_entropy,
    "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
    "sum": torch.sum, "mean": torch.mean, "amax": torch.amax, "amin": torch.amin, "argmax": torch.argmax,
    "var": torch.var, "std": torch.std, "logsumexp": torch.logsumexp,
    "relu": torch.relu, "sqrt": torch.sqrt, "sigmoid": torch.sigmoid, "exp": torch.exp, "log": torch.log, "tanh": torch.tanh,
    "transpose": lambda x, *dims: x.transpose(*dims) if dims else x.permute(*reversed(range(x.dim()))),
    "permute": torch.permute, "unsqueeze": torch.unsqueeze, "squeeze": torch.squeeze,
    "gelu": F.gelu, "silu": F.silu, "elu": F.elu, "log1p": torch.log1p, "expm1": torch.expm1, "erf": torch.erf, "tan": torch.tan,
    "gt": torch.gt, "lt": torch.lt, "ge": torch.ge, "le": torch.le, "eq": torch.eq, "ne": torch.ne, "clamp": torch.clamp,
    "where": lambda c, a, b: torch.where(tensorize(c) != 0, a, b), "cat": torch.cat, "stack": torch.stack,
    "true": True, "false": False, "None": None,
}

# (name, program, {input: shape or explicit nested list}); the output is the program's `f`.
CASES = [
    ("conv2d batch, bias, stride and padding", "f = sum(conv2d(x, w, b, stride=2, padding=1) * u)",
     {"x": [2, 3, 7, 7], "w": [4, 3, 3, 3], "b": [4], "u": [2, 4, 4, 4]}),
    ("conv2d [C, H, W], no bias", "f = sum(conv2d(x, w) * u)", {"x": [2, 6, 6], "w": [3, 2, 3, 3], "u": [3, 4, 4]}),
    ("conv2d positional", "f = sum(conv2d(x, w, b, 1, 2) * u)", {"x": [1, 1, 5, 5], "w": [2, 1, 5, 5], "b": [2], "u": [1, 2, 5, 5]}),
    ("conv2d bias None, padding as a pair", "f = sum(conv2d(x, w, None, padding=[1, 1]) * u)",
     {"x": [1, 2, 4, 4], "w": [1, 2, 3, 3], "u": [1, 1, 4, 4]}),
    ("max_pool2d 2", "f = sum(max_pool2d(x, 2) * u)", {"x": [1, 2, 6, 6], "u": [1, 2, 3, 3]}),
    ("max_pool2d stride and padding", "f = sum(max_pool2d(x, kernel_size=3, stride=2, padding=1) * u)", {"x": [2, 2, 7, 7], "u": [2, 2, 4, 4]}),
    ("max_pool2d [C, H, W], overlapping windows", "f = sum(max_pool2d(x, 3, 1) * u)", {"x": [2, 5, 5], "u": [2, 3, 3]}),
    ("max_pool2d ties go to the first", "f = sum(max_pool2d(x, 2) * u)",
     {"x": [[[[1, 1, 0, 2], [1, 0, 2, 2], [3, 3, 5, 5], [3, 3, 5, 5]]]], "u": [1, 1, 2, 2]}),
    ("avg_pool2d 2", "f = sum(avg_pool2d(x, 2) * u)", {"x": [1, 2, 6, 6], "u": [1, 2, 3, 3]}),
    ("avg_pool2d padding counted", "f = sum(avg_pool2d(x, 3, stride=2, padding=1) * u)", {"x": [1, 1, 5, 5], "u": [1, 1, 3, 3]}),
    ("flatten from dim 1", "f = sum(flatten(x, start_dim=1) * u)", {"x": [2, 3, 2], "u": [2, 6]}),
    ("flatten dims 1 to 2", "f = sum(flatten(x, 1, 2) * u)", {"x": [2, 3, 2, 2], "u": [2, 6, 2]}),
    ("softmax dim 1", "f = sum(softmax(x, dim=1) * u)", {"x": [3, 4], "u": [3, 4]}),
    ("softmax dim 0", "f = sum(softmax(x, 0) * u)", {"x": [3, 4], "u": [3, 4]}),
    ("softmax of a 3-D value, dim 1", "f = sum(softmax(x, dim=1) * u)", {"x": [2, 3, 4], "u": [2, 3, 4]}),
    ("log_softmax dim 0", "f = sum(log_softmax(x, dim=0) * u)", {"x": [3, 4, 2], "u": [3, 4, 2]}),
    ("log_softmax dim -1", "f = sum(log_softmax(x, -1) * u)", {"x": [3, 4], "u": [3, 4]}),
    ("cross_entropy with class indices", "f = cross_entropy(x, t)", {"x": [4, 5], "t": ("long", [4], 5)}),
    ("cross_entropy of one example", "f = cross_entropy(x, 3)", {"x": [5]}),
    ("cross_entropy with probabilities", "f = cross_entropy(x, softmax(p, dim=1))", {"x": [4, 5], "p": [4, 5]}),
    ("nll_loss", "f = nll_loss(log_softmax(x, dim=1), t)", {"x": [3, 4], "t": ("long", [3], 4)}),
    ("mse_loss", "f = mse_loss(x, y)", {"x": [3, 4], "y": [3, 4]}),
    ("l1_loss", "f = l1_loss(x, y)", {"x": [3, 4], "y": [3, 4]}),
    ("binary_cross_entropy", "f = binary_cross_entropy(sigmoid(x), sigmoid(y))", {"x": [6], "y": [6]}),
    ("binary_cross_entropy_with_logits", "f = binary_cross_entropy_with_logits(x, sigmoid(y))", {"x": [2, 3], "y": [2, 3]}),
    ("sum over dim, keepdim", "f = sum(sum(x, dim=1, keepdim=true) * u)", {"x": [3, 4], "u": [3, 1]}),
    ("sum with the old axis argument", "f = sum(sum(x, 1) * u)", {"x": [3, 4], "u": [3]}),
    ("mean over dim 0, keepdim", "f = sum(mean(x, 0, True) * u)", {"x": [3, 4], "u": [1, 4]}),
    ("amax over dim", "f = sum(amax(x, dim=1) * u)", {"x": [3, 4], "u": [3]}),
    ("amax of everything, ties split", "f = amax(x) * 2", {"x": [[1, 3, 3], [3, 0, 2]]}),
    ("amin over dim 0, keepdim, ties split", "f = sum(amin(x, 0, keepdim=true) * u)",
     {"x": [[1, -2, 0], [1, 4, 0], [5, -2, 0]], "u": [1, 3]}),
    ("logsumexp over dim", "f = sum(logsumexp(x, dim=1) * u)", {"x": [3, 4], "u": [3]}),
    ("logsumexp keepdim", "f = sum(logsumexp(x, 0, keepdim=true) * u)", {"x": [3, 4], "u": [1, 4]}),
    ("var over dim", "f = sum(var(x, 1) * u)", {"x": [3, 5], "u": [3]}),
    ("var of everything", "f = var(x)", {"x": [4, 3]}),
    ("std over dim 0, keepdim, correction 0", "f = sum(std(x, dim=0, correction=0, keepdim=true) * u)", {"x": [4, 3], "u": [1, 3]}),
    ("argmax gives positions", "f = sum(x * argmax(y, dim=1, keepdim=true))", {"x": [3, 4], "y": [3, 4]}),
    ("permute", "f = sum(permute(x, [2, 0, 1]) * u)", {"x": [2, 3, 4], "u": [4, 2, 3]}),
    ("transpose of two dims", "f = sum(transpose(x, 0, -1) * u)", {"x": [2, 3, 4], "u": [4, 3, 2]}),
    ("transpose of every axis, as before", "f = sum(transpose(x) * u)", {"x": [2, 3], "u": [3, 2]}),
    ("unsqueeze and squeeze", "f = sum(squeeze(unsqueeze(x, 0) * u, dim=0) * v)", {"x": [3, 4], "u": [1, 3, 4], "v": [3, 4]}),
    ("squeeze every axis of size 1", "f = sum(squeeze(x) * u)", {"x": [1, 3, 1, 2], "u": [3, 2]}),
    ("gelu, erf form", "f = sum(gelu(x) * u)", {"x": [8], "u": [8]}),
    ("silu", "f = sum(silu(x) * u)", {"x": [8], "u": [8]}),
    ("elu", "f = sum(elu(x) * u)", {"x": [8], "u": [8]}),
    ("log1p", "f = sum(log1p(exp(x)) * u)", {"x": [8], "u": [8]}),
    ("expm1", "f = sum(expm1(x) * u)", {"x": [8], "u": [8]}),
    ("erf", "f = sum(erf(x) * u)", {"x": [8], "u": [8]}),
    ("tan", "f = sum(tan(x) * u)", {"x": [8], "u": [8]}),
    ("comparisons give masks", "f = sum(x * (gt(x, y) + 2 * lt(x, 0) + 4 * ge(y, x) + 8 * le(y, 0.5) + 16 * eq(x, y) + 32 * ne(x, 1)))",
     {"x": [[1, -2, 3, 0.5], [2, 2, -1, 1]], "y": [[0, -2, 4, 0.5], [1, 3, -1, 0]]}),
    ("clamp with both bounds, ends included", "f = sum(clamp(x, -0.5, 0.5) * u)", {"x": [[-1, -0.5, 0, 0.5, 1, 0.25]], "u": [1, 6]}),
    ("clamp with a tensor min", "f = sum(clamp(x, min=m) * u)", {"x": [6], "m": [6], "u": [6]}),
    ("clamp with max only", "f = sum(clamp(x, max=0.1) * u)", {"x": [6], "u": [6]}),
    ("where with a mask, broadcast", "f = sum(where(gt(x, 0), x * y, 2 * y) * u)", {"x": [3, 4], "y": [4], "u": [3, 4]}),
    ("where with a number for the other side, a tie at 0", "f = sum(where(gt(x, 0), x * x, 0) * u)",
     {"x": [[4, -1, 0, 9]], "u": [1, 4]}),
    ("cat along dim 1", "f = sum(cat([x, y, x], dim=1) * u)", {"x": [2, 3], "y": [2, 1], "u": [2, 7]}),
    ("cat along dim 0", "f = sum(cat([x, y]) * u)", {"x": [1, 3], "y": [2, 3], "u": [3, 3]}),
    ("stack along dim 1", "f = sum(stack([x, y], 1) * u)", {"x": [2, 3], "y": [2, 3], "u": [2, 2, 3]}),
    ("batched @, the right broadcast", "f = sum((x @ W) * u)", {"x": [2, 3, 4], "W": [4, 2], "u": [2, 3, 2]}),
    ("batched @, batch axes broadcast both ways", "f = sum((x @ y) * u)", {"x": [2, 1, 2, 3], "y": [3, 3, 2], "u": [2, 3, 2, 2]}),
    ("batched @ with vectors", "f = sum((v @ y) * u) + sum((y @ w) * r)", {"v": [3], "y": [2, 3, 3], "u": [2, 3], "w": [3], "r": [2, 3]}),
    ("the notes' CNN on one 8×8 image, 2 and 4 filters",
     "h1 = max_pool2d(relu(conv2d(image, w1, b1, stride=1, padding=2)), kernel_size=2)\n"
     "h2 = max_pool2d(relu(conv2d(h1, w2, b2, padding=2)), 2)\n"
     "scores = flatten(h2) @ W3 + b3\n"
     "f = cross_entropy(scores, 2)",
     {"image": [1, 8, 8], "w1": [2, 1, 5, 5], "b1": [2], "w2": [4, 2, 5, 5], "b2": [4], "W3": [16, 3], "b3": [3]}),
]


def make(spec):
    if isinstance(spec, tuple):
        _, shape, classes = spec
        return torch.randint(0, classes, shape, dtype=torch.long)
    if isinstance(spec[0], list):
        return torch.tensor(spec, dtype=torch.float64, requires_grad=True)
    return torch.randn(spec, dtype=torch.float64, requires_grad=True)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


cases = []
for name, program, specs in CASES:
    inputs = {key: make(spec) for key, spec in specs.items()}
    scope = dict(NAMES)
    scope.update(inputs)
    exec(program, scope)
    output = scope["f"]
    output.backward()
    cases.append({
        "name": name, "program": program,
        "inputs": [{"name": key, "shape": list(t.shape), "values": flat(t), "integer": not t.is_floating_point()}
                   for key, t in inputs.items()],
        "output": output.item(),
        "gradients": {key: flat(t.grad if t.grad is not None else torch.zeros_like(t)) for key, t in inputs.items() if t.is_floating_point()},
    })

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "..", "Tests", "ExpressionsTests", "TorchReference", "torch-ops.json")
with open(path, "w") as file:
    json.dump({"made_by": "scripts/torch-ops-reference.py", "torch": torch.__version__, "dtype": "float64",
               "cases": cases}, file, indent=1, allow_nan=False)
    file.write("\n")
print(f"{len(cases)} cases, torch {torch.__version__} -> {os.path.relpath(path)}")

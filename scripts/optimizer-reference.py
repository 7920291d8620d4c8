#!/usr/bin/env python3
"""Reference values for Tests/NeuralNetworksTests/OptimizerTests.swift.

Three steps of each optimizer on p0 = [1, -2, 0.5] with the gradient of
f(p) = sum(a p^2 + b p), i.e. g = 2 a p + b, a = [0.5, 1.5, 2], b = [0.1, -0.3, 0.2].

Two independent references:
  * `numpy_*`: the update rules re-implemented from PyTorch's documentation
    (torch.optim.SGD / Adam / RMSprop, the algorithm boxes), in float64;
  * torch.optim itself, when torch imports (float64 tensors).
Prints one Swift table row per case; the test compares to 1e-12.

Usage: python scripts/optimizer-reference.py   (NumPy; torch optional)
"""
import numpy as np

A = np.array([0.5, 1.5, 2.0])
B = np.array([0.1, -0.3, 0.2])
P0 = np.array([1.0, -2.0, 0.5])

# name, kind, options (PyTorch keyword names)
CASES = [
    ("sgd", "sgd", dict(lr=0.1)),
    ("sgd momentum", "sgd", dict(lr=0.1, momentum=0.9)),
    ("sgd nesterov", "sgd", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("sgd momentum weight decay", "sgd", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("adam", "adam", dict(lr=0.1)),
    ("adam betas weight decay", "adam", dict(lr=0.1, betas=(0.8, 0.99), weight_decay=0.1)),
    ("rmsprop", "rmsprop", dict(lr=0.01)),
    ("rmsprop momentum weight decay alpha", "rmsprop", dict(lr=0.01, momentum=0.9, weight_decay=0.1, alpha=0.9)),
]


def numpy_steps(kind, options, steps=3):
    p = P0.copy()
    lr = options["lr"]
    wd = options.get("weight_decay", 0.0)
    mu = options.get("momentum", 0.0)
    buf = None
    m = np.zeros(3); v = np.zeros(3)
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    eps = options.get("eps", 1e-8)
    alpha = options.get("alpha", 0.99)
    for t in range(1, steps + 1):
        g = 2 * A * p + B
        if wd != 0:
            g = g + wd * p
        if kind == "sgd":
            if mu != 0:
                buf = g.copy() if buf is None else mu * buf + g
                g = g + mu * buf if options.get("nesterov") else buf
            p = p - lr * g
        elif kind == "adam":
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        elif kind == "rmsprop":
            v = alpha * v + (1 - alpha) * g * g
            avg = np.sqrt(v) + eps
            if mu > 0:
                buf = np.zeros(3) if buf is None else buf
                buf = mu * buf + g / avg
                p = p - lr * buf
            else:
                p = p - lr * g / avg
    return p


def torch_steps(kind, options, steps=3):
    import torch
    p = torch.tensor(P0, dtype=torch.float64, requires_grad=True)
    a = torch.tensor(A, dtype=torch.float64)
    b = torch.tensor(B, dtype=torch.float64)
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "rmsprop": torch.optim.RMSprop}[kind]([p], **options)
    for _ in range(steps):
        optimizer.zero_grad()
        (a * p * p + b * p).sum().backward()
        optimizer.step()
    return p.detach().numpy()


def main():
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    for name, kind, options in CASES:
        expected = numpy_steps(kind, options)
        if have_torch:
            reference = torch_steps(kind, options)
            gap = np.max(np.abs(reference - expected))
            assert gap < 1e-12, (name, reference, expected)
        print(f'("{name}", {[float(x) for x in expected]}),  # numpy{" = torch.optim (max gap %.1e)" % gap if have_torch else ""}')
    print("torch.optim checked" if have_torch else "torch not available: NumPy re-implementation only")


if __name__ == "__main__":
    main()

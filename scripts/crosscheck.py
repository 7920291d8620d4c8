#!/usr/bin/env python3
"""Cross-check the Backprop Workbench engine against JAX on generated programs.

A seeded generator builds random programs in the expression language
(docs/expression-language.md) as expression DAGs, prints each DAG twice, once as a
program for `backprop trace` and once as a Python function over JAX, runs both and
compares the output value and every input's gradient.

Every operator and function of the language is covered: + - * / unary minus,
^ / ** (constant and tensor exponents), exp log sqrt sin cos tanh sigmoid relu
leaky_relu(x[, a]) abs step softplus log_softmax min max, @ and matmul()
(matrix-vector, vector-matrix, matrix-matrix, dot; small products in the plain loop
and products of m·k·n ≥ 32,768 that go to OpenBLAS), transpose, sum/mean (whole and
along an axis, negative axes too), NumPy broadcasting, reshape (with -1), indexing and slicing
(negative positions, steps, omitted trailing components), statements with shared
sub-expressions (fan-out), `**` spelling and minimal parentheses (so the parser's
precedence rules are exercised: Python's precedence for these operators is the same
as the language's).

Random families keep away from kinks and invalid domains: the generator evaluates
every candidate sub-expression with NumPy and rejects it when a log/sqrt argument is
below 0.05, a denominator is below 0.1 in magnitude, the argument of relu, abs, step
or leaky_relu is within 1e-3 of 0, min/max operands are within 1e-3 of a tie, or a
value is not finite or above 1e4. The `kink` family does the opposite: it puts
exact zeros and exact ties at relu, abs, step, leaky_relu, min, max and power
(0^y, x^0) and compares with the convention docs/expression-language.md documents
(computed in JAX with jnp.where / custom_jvp); it also reports, for information,
where JAX's own functions choose differently.

Usage (JAX in a venv outside the repository):
    python3 -m venv /tmp/xcheck-venv
    /tmp/xcheck-venv/bin/pip install jax jaxlib numpy
    swift build --scratch-path /tmp/xcheck-build
    /tmp/xcheck-venv/bin/python scripts/crosscheck.py --count 840 --seed 1 \\
        --binary /tmp/xcheck-build/debug/backprop

Exit status 0 when every program agrees, 1 otherwise.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import random
import shlex
import subprocess
import sys
import time

import numpy as np

try:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
except ImportError:  # pragma: no cover - the brief's fallback is not needed where JAX installs
    sys.exit("crosscheck.py needs JAX: python3 -m venv /tmp/xcheck-venv && "
             "/tmp/xcheck-venv/bin/pip install jax jaxlib numpy")

TOLERANCE = 1e-9          # largest relative error that passes
BLAS_THRESHOLD = 32_768   # Tensor.blasThreshold: products of m·k·n at least this go to OpenBLAS
REL_FLOOR = 1e-3          # denominator floor of the relative error (see rel_err)

# ───────────────────────────── expression DAG ─────────────────────────────

UNARY_FNS = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "step", "softplus", "log_softmax"]
KINKED_UNARY = {"relu", "abs", "step"}


class Node:
    """One operation or leaf. `val` is its NumPy value at the program's inputs."""
    _next = 0

    def __init__(self, op, kids=(), attr=None, val=None):
        self.op = op
        self.kids = list(kids)
        self.attr = attr
        self.val = np.asarray(val, dtype=np.float64)
        self.shape = tuple(self.val.shape)
        Node._next += 1
        self.id = Node._next


def bshape(a, b):
    try:
        return tuple(np.broadcast_shapes(tuple(a), tuple(b)))
    except ValueError:
        return None


def fmt(v: float) -> str:
    """A float written so that both the engine and Python read back the same double."""
    v = float(v)
    if v == 0:
        return "0"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def literal(a) -> str:
    a = np.asarray(a)
    if a.ndim == 0:
        return fmt(a)
    return "[" + ", ".join(literal(x) for x in a) + "]"


def index_text(components) -> str:
    parts = []
    for c in components:
        if c[0] == "pos":
            parts.append(str(c[1]))
        else:
            _, start, stop, step = c
            t = ("" if start is None else str(start)) + ":" + ("" if stop is None else str(stop))
            if step is not None:
                t += ":" + str(step)
            parts.append(t)
    return ", ".join(parts)


def index_tuple(components):
    return tuple(c[1] if c[0] == "pos" else slice(c[1], c[2], c[3]) for c in components)


# ───────────────────────────── generator ─────────────────────────────

INPUT_NAMES = ["x", "y", "z", "a", "b", "c", "w", "v", "u", "p", "q", "r", "s", "h", "g", "k",
               "W", "V", "U", "A", "B", "X", "w1", "b2", "hidden_2", "_m", "α", "θ"]

FAMILIES = {
    "arith": ["add", "sub", "mul", "div", "neg"],
    "power": ["pow_const", "pow_tensor"],
    "exp-log-sqrt-softplus": ["exp", "log", "sqrt", "softplus"],
    "trig-tanh-sigmoid": ["sin", "cos", "tanh", "sigmoid"],
    "log_softmax": ["log_softmax"],
    "relu-leaky-abs-step": ["relu", "leaky1", "leaky2", "abs", "step"],
    "min-max": ["min", "max"],
    "matmul": ["matmul", "transpose"],
    "matmul-openblas": "blas",  # products of m·k·n ≥ 32,768 multiply-adds, which go to OpenBLAS
    "sum-mean-transpose": ["sum_axis", "mean_axis", "sum_all", "mean_all", "transpose"],
    "broadcast": ["add", "sub", "mul", "div", "min", "max", "pow_const", "pow_tensor", "leaky2"],
    "reshape-index": ["reshape", "index"],
    "mixed": None,  # every op, deeper programs
    "kink": "kink",
}

ALL_OPS = (["add", "sub", "mul", "div", "neg", "pow_const", "pow_tensor", "min", "max", "leaky1", "leaky2",
            "matmul", "transpose", "sum_axis", "mean_axis", "sum_all", "mean_all", "reshape", "index"]
           + UNARY_FNS)
SMOOTH_OPS = [o for o in ALL_OPS if o not in ("relu", "abs", "step", "leaky1", "leaky2", "min", "max")]

BODY_SHAPES = [(), (3,), (4,), (2, 3), (3, 2), (2, 1), (1, 3), (2, 2), (3, 3), (2, 3, 2)]


class Generator:
    def __init__(self, rng: random.Random, family: str):
        self.rng = rng
        self.family = family
        self.focus = FAMILIES[family] if isinstance(FAMILIES[family], list) else None
        self.ops = SMOOTH_OPS if family == "kink" else ALL_OPS
        self.inputs: dict[str, np.ndarray] = {}
        self.pool: dict[tuple, list[Node]] = {}
        self.kink_mode = False   # while building a kink core: no kink rejection

    # ── leaves ──
    def new_input(self, shape, values=None):
        free = [n for n in INPUT_NAMES if n not in self.inputs]
        name = self.rng.choice(free) if free else f"in{len(self.inputs)}"
        if values is None:
            count = int(np.prod(shape)) if shape else 1
            mags = [round(self.rng.uniform(0.25, 2.0), 3) for _ in range(count)]
            values = [m if self.rng.random() < 0.6 else -m for m in mags]
            values = np.array(values, dtype=np.float64).reshape(shape)
        self.inputs[name] = np.asarray(values, dtype=np.float64)
        return Node("input", attr=name, val=self.inputs[name])

    def leaf(self, shape, allow_const=True):
        shape = tuple(shape)
        same = [n for n, v in self.inputs.items() if v.shape == shape]
        r = self.rng.random()
        if allow_const and r < 0.12:
            return self.const(shape)
        if same and r < 0.45:
            name = self.rng.choice(same)
            return Node("input", attr=name, val=self.inputs[name])
        return self.new_input(shape)

    def const(self, shape, choices=None):
        count = int(np.prod(shape)) if shape else 1
        pick = choices or [0.5, 2, 3, -1, 1.5, -0.25, 0.75, 1.25, -2, 4]
        vals = np.array([self.rng.choice(pick) for _ in range(count)], dtype=np.float64).reshape(shape)
        return Node("const", attr=vals, val=vals)

    # ── checks ──
    @staticmethod
    def sane(node):
        return node is not None and np.all(np.isfinite(node.val)) and np.max(np.abs(node.val), initial=0) <= 1e4

    def away_from_zero(self, val):
        return self.kink_mode or np.min(np.abs(val), initial=1) >= 1e-3

    # ── the main recursive choice ──
    def gen(self, shape, depth, ops=None):
        shape = tuple(shape)
        if depth <= 0:
            return self.leaf(shape)
        if self.pool.get(shape) and self.rng.random() < 0.12:
            return self.rng.choice(self.pool[shape])        # fan-out: a shared sub-expression
        for _ in range(10):
            if ops is not None:
                candidates = ops
            elif self.focus and self.rng.random() < 0.55:
                candidates = self.focus
            else:
                candidates = self.ops
            candidates = [o for o in candidates if self.can_make(o, shape)]
            if not candidates or self.rng.random() < 0.15 and ops is None:
                node = self.leaf(shape)
            else:
                node = self.make(self.rng.choice(candidates), shape, depth)
            if self.sane(node) and node.shape == shape:
                if node.op not in ("input", "const"):
                    self.pool.setdefault(shape, []).append(node)
                return node
        return self.leaf(shape, allow_const=False)

    def can_make(self, op, shape):
        r = len(shape)
        if op == "matmul":
            return r <= 2
        if op in ("sum_axis", "mean_axis"):
            return r <= 2
        if op in ("sum_all", "mean_all"):
            return r == 0
        if op in ("reshape", "log_softmax"):
            return r >= 1
        return True

    def split_shapes(self, shape, force_different=False):
        """Two operand shapes that broadcast to `shape`."""
        bias = 0.85 if force_different or self.family == "broadcast" else 0.3
        wide = [i for i, n in enumerate(shape) if n > 1]
        if force_different and len(wide) >= 2 and self.rng.random() < 0.5:
            # both operands stretched, as [2, 1] with [1, 3] → [2, 3]
            first = self.rng.sample(wide, self.rng.randint(1, len(wide) - 1))
            a = tuple(1 if i in first else n for i, n in enumerate(shape))
            b = tuple(n if i in first else (1 if i in wide else n) for i, n in enumerate(shape))
            if self.rng.random() < 0.3 and b[0] == 1:
                b = b[1:]   # and a missing leading axis
            return (a, b) if self.rng.random() < 0.5 else (b, a)
        for _ in range(50):
            def reduce_one():
                if self.rng.random() > bias:
                    return shape
                drop = self.rng.randint(0, len(shape))
                s = list(shape[drop:])
                for i in range(len(s)):
                    if self.rng.random() < 0.4:
                        s[i] = 1
                return tuple(s)
            a, b = reduce_one(), reduce_one()
            if bshape(a, b) == shape and (not force_different or a != b):
                return a, b
        return shape, shape

    def positive(self, shape, depth, lo=0.05):
        """An expression of `shape` whose entries are all ≥ lo."""
        for _ in range(8):
            k = self.rng.randrange(6)
            child = self.gen(shape, depth)
            if k == 0 and np.min(child.val, initial=1) >= lo:
                return child
            if k == 1 and np.max(child.val, initial=0) <= 5:
                node = Node("exp", [child], val=np.exp(child.val))
            elif k == 2:
                sq = Node("pow", [child, self.const((), [2])], attr="^", val=child.val ** 2)
                c = self.const((), [0.5, 1, 2])
                node = Node("add", [sq, c], val=sq.val + c.val)
            elif k == 3:
                node = Node("softplus", [child], val=np.logaddexp(child.val, 0))
            elif k == 4:
                node = Node("sigmoid", [child], val=1 / (1 + np.exp(-child.val)))
            else:
                c = self.const((), [1, 2, 3])
                node = Node("add", [Node("mul", [child, child], val=child.val * child.val), c],
                            val=child.val * child.val + c.val)
            if self.sane(node) and np.min(node.val, initial=1) >= lo:
                return node
        vals = np.array([round(self.rng.uniform(0.3, 2.0), 3) for _ in range(int(np.prod(shape)) if shape else 1)])
        return self.new_input(shape, vals.reshape(shape))

    def make(self, op, shape, depth):
        rng = self.rng
        d = depth - 1
        if op in UNARY_FNS:
            if op in ("log", "sqrt"):
                child = self.positive(shape, d)
            else:
                child = self.gen(shape, d)
            v = child.val
            if op in KINKED_UNARY and not self.away_from_zero(v):
                return None
            if op == "exp" and np.max(v, initial=0) > 8:
                return None
            val = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
                   "tanh": np.tanh, "sigmoid": lambda t: 1 / (1 + np.exp(-t)),
                   "relu": lambda t: np.where(t > 0, t, 0.0), "abs": np.abs,
                   "step": lambda t: np.where(t >= 0, 1.0, 0.0),
                   "softplus": lambda t: np.logaddexp(t, 0),
                   "log_softmax": lambda t: t - np.logaddexp.reduce(t, axis=-1, keepdims=True)}[op](v)
            return Node(op, [child], val=val)
        if op == "neg":
            child = self.gen(shape, d)
            return Node("neg", [child], val=-child.val)
        if op in ("add", "sub", "mul", "div", "min", "max"):
            sa, sb = self.split_shapes(shape, force_different=self.family == "broadcast")
            a = self.gen(sa, d)
            if op == "div":
                b = self.gen(sb, d)
                if np.min(np.abs(b.val), initial=1) < 0.1:
                    b = self.positive(sb, d, lo=0.1)
            else:
                b = self.gen(sb, d)
            if op in ("min", "max") and not self.kink_mode:
                if np.min(np.abs(a.val - b.val), initial=1) < 1e-3:
                    return None
            val = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
                   "min": np.minimum, "max": np.maximum}[op](a.val, b.val)
            return Node(op, [a, b], val=val)
        if op == "pow_const":
            if rng.random() < 0.7:
                sa, sb = shape, ()
            else:
                sa, sb = self.split_shapes(shape, force_different=self.family == "broadcast")
            integer = rng.random() < 0.6
            choices = [2, 3, -1, -2, 1, 4] if integer else [0.5, 1.5, 2.5, -0.5, 0.25]
            expo = self.const(sb, choices)
            base = self.gen(sa, d) if integer else self.positive(sa, d)
            if integer and np.min(expo.val) < 0 and np.min(np.abs(base.val), initial=1) < 0.2:
                return None
            return Node("pow", [base, expo], attr=rng.choice(["^", "^", "**"]), val=np.power(base.val, expo.val))
        if op == "pow_tensor":
            sa, sb = self.split_shapes(shape, force_different=self.family == "broadcast")
            if rng.random() < 0.2:
                base = self.const(sa, [0.5, 2, 1.5, 3])
            else:
                base = self.positive(sa, d)
            expo = self.gen(sb, d)
            if np.max(np.abs(expo.val), initial=0) > 4:
                return None
            return Node("pow", [base, expo], attr=rng.choice(["^", "^", "**"]), val=np.power(base.val, expo.val))
        if op == "leaky1":
            x = self.gen(shape, d)
            if not self.away_from_zero(x.val):
                return None
            return Node("leaky_relu", [x], val=np.where(x.val > 0, x.val, 0.01 * x.val))
        if op == "leaky2":
            sa, sb = self.split_shapes(shape)
            x = self.gen(sa, d)
            if not self.away_from_zero(x.val):
                return None
            a = self.const(sb, [0.1, 0.2, 0.05, 0.3]) if rng.random() < 0.4 else self.gen(sb, d)
            return Node("leaky_relu", [x, a], val=np.where(x.val > 0, x.val, a.val * x.val))
        if op == "matmul":
            k = rng.randint(1, 4)
            if len(shape) == 0:
                sa, sb = (k,), (k,)
            elif len(shape) == 1:
                sa, sb = ((k,), (k, shape[0])) if rng.random() < 0.5 else ((shape[0], k), (k,))
            else:
                sa, sb = (shape[0], k), (k, shape[1])
            a, b = self.gen(sa, d), self.gen(sb, d)
            return Node("matmul", [a, b], attr=rng.choice(["@", "@", "@", "fn"]), val=np.matmul(a.val, b.val))
        if op == "transpose":
            child = self.gen(tuple(reversed(shape)), d)
            return Node("transpose", [child], val=np.transpose(child.val))
        if op in ("sum_axis", "mean_axis"):
            p = rng.randint(0, len(shape))
            n = rng.choice([1, 2, 3, 4])
            cshape = shape[:p] + (n,) + shape[p:]
            child = self.gen(cshape, d)
            axis = p if rng.random() < 0.6 else p - len(cshape)
            fn = np.sum if op == "sum_axis" else np.mean
            return Node(op[:-5], [child], attr=axis, val=fn(child.val, axis=axis))
        if op in ("sum_all", "mean_all"):
            cshape = rng.choice(BODY_SHAPES[1:] + [()])   # sum of a scalar is allowed too
            child = self.gen(cshape, d)
            fn = np.sum if op == "sum_all" else np.mean
            return Node(op[:-4], [child], attr=None, val=fn(child.val))
        if op == "reshape":
            count = int(np.prod(shape))
            options = [s for s in all_shapes(count) if s != shape] + ([()] if count == 1 else [])
            options = options or [shape]
            cshape = rng.choice(options)
            child = self.gen(cshape, d)
            target = list(shape)
            if rng.random() < 0.4:
                target[rng.randrange(len(target))] = -1
            return Node("reshape", [child], attr=target, val=np.reshape(child.val, shape))
        if op == "index":
            cshape, comps = self.index_for(shape)
            child = self.gen(cshape, d)
            return Node("index", [child], attr=comps, val=child.val[index_tuple(comps)])
        raise ValueError(op)

    def index_for(self, shape):
        """A source shape and index components that select a result of `shape`."""
        rng = self.rng
        r = len(shape)
        if r == 0:
            dropped = rng.choice([1, 1, 2])
        elif r == 3:
            dropped = 0
        else:
            dropped = rng.choice([0, 1, 1, 2]) if r == 1 else rng.choice([0, 1])
        total = r + dropped
        drop_at = set(rng.sample(range(total), dropped))
        cshape, comps, kept = [], [], iter(shape)
        for axis in range(total):
            if axis in drop_at:
                n = rng.randint(1, 4)
                i = rng.randrange(n)
                comps.append(("pos", i - n if rng.random() < 0.3 else i))
                cshape.append(n)
                continue
            s = next(kept)
            comp, n = None, s
            for _ in range(200):
                n = rng.randint(s, max(s, min(s + 3, 5)))
                step = rng.choice([None, None, 1, 2, -1, -2, 3])
                bounds = [None, None] + list(range(-n - 1, n + 2))
                start, stop = rng.choice(bounds), rng.choice(bounds)
                if len(range(*slice(start, stop, step).indices(n))) == s:
                    comp = ("slice", start, stop, step)
                    break
            if comp is None:
                comp, n = ("slice", None, None, None), s
            comps.append(comp)
            cshape.append(n)
        # omit trailing whole-axis slices sometimes (fewer components than axes)
        while len(comps) > 1 and comps[-1] == ("slice", None, None, None) and rng.random() < 0.7:
            comps.pop()
        return tuple(cshape), comps

    # ── the kink family ──
    def kink_input(self, shape, allow_negative=True):
        count = int(np.prod(shape)) if shape else 1
        vals = []
        for _ in range(count):
            m = round(self.rng.uniform(0.25, 2.0), 3)
            vals.append(m if (not allow_negative or self.rng.random() < 0.5) else -m)
        zeros = self.rng.sample(range(count), max(1, count // 2))
        for z in zeros:
            vals[z] = 0.0
        return self.new_input(shape, np.array(vals).reshape(shape))

    def kink_core(self, kind, shape):
        """An operation of `kind` applied exactly at its kink in some entries."""
        rng = self.rng
        count = int(np.prod(shape)) if shape else 1
        ties = set(rng.sample(range(count), max(1, count // 2)))

        def values(f):
            return np.array([f(i) for i in range(count)], dtype=np.float64).reshape(shape)

        def some():
            m = round(rng.uniform(0.25, 2.0), 3)
            return m if rng.random() < 0.5 else -m

        self.kink_mode = True
        try:
            if kind in ("relu", "abs", "step", "leaky1", "leaky2"):
                if rng.random() < 0.6:   # an input with exact zeros
                    x = self.new_input(shape, values(lambda i: 0.0 if i in ties else some()))
                else:                    # an exact zero computed in the program: x - y with equal entries
                    yv = values(lambda i: some())
                    xv = (yv.reshape(-1) + np.array([0.0 if i in ties else some() for i in range(count)])).reshape(shape)
                    xv = np.round(xv, 3)
                    xv.reshape(-1)[list(ties)] = yv.reshape(-1)[list(ties)]
                    x0, y = self.new_input(shape, xv), self.new_input(shape, yv)
                    x = Node("sub", [x0, y], val=x0.val - y.val)
                if kind == "leaky1":
                    return Node("leaky_relu", [x], val=np.where(x.val > 0, x.val, 0.01 * x.val))
                if kind == "leaky2":
                    a = self.new_input((), np.array(round(rng.uniform(0.05, 0.5), 3)))
                    return Node("leaky_relu", [x, a], val=np.where(x.val > 0, x.val, a.val * x.val))
                fn = {"relu": lambda t: np.where(t > 0, t, 0.0), "abs": np.abs,
                      "step": lambda t: np.where(t >= 0, 1.0, 0.0)}[kind]
                return Node(kind, [x], val=fn(x.val))
            if kind in ("min", "max"):
                mode = rng.randrange(3)
                if mode == 0 or not shape:   # same shape, some entries equal
                    xv = values(lambda i: some())
                    x = self.new_input(shape, xv)
                    y = self.new_input(shape, values(lambda i: xv.reshape(-1)[i] if i in ties else round(rng.uniform(-2, 2), 3) + 0.0001))
                elif mode == 1:              # a scalar input equal to one entry (a broadcast tie)
                    x = self.new_input(shape)
                    y = self.new_input((), np.array(rng.choice(list(x.val.reshape(-1)))))
                else:                        # a constant 0 equal to some entries: max(x, 0)
                    x = self.new_input(shape, values(lambda i: 0.0 if i in ties else some()))
                    y = self.const((), [0])
                a, b = (x, y) if rng.random() < 0.5 else (y, x)
                fn = np.minimum if kind == "min" else np.maximum
                return Node(kind, [a, b], val=fn(a.val, b.val))
            if kind == "pow":               # 0^y with y in {0, 1, 2, 3} and x^0
                x = self.new_input(shape, values(lambda i: 0.0 if i in ties else round(rng.uniform(0.3, 2.0), 3)))
                if rng.random() < 0.6:
                    expo = self.new_input(shape, values(lambda i: float(rng.choice([0, 0, 1, 2, 3]))))
                else:
                    expo = self.const((), [0, 1, 2, 0])
                return Node("pow", [x, expo], attr="^", val=np.power(x.val, expo.val))
            raise ValueError(kind)
        finally:
            self.kink_mode = False


KINK_KINDS = ["relu", "abs", "step", "leaky1", "leaky2", "min", "max", "pow"]
KINK_FUNCTION = {"relu": "relu", "abs": "abs", "step": "step", "leaky1": "leaky_relu", "leaky2": "leaky_relu",
                 "min": "minimum", "max": "maximum", "pow": "power"}
KINK_LABELS = {"relu": "relu(0)", "abs": "abs(0)", "step": "step(0)", "leaky1": "leaky_relu(0)",
               "leaky2": "leaky_relu(0, a)", "min": "min tie", "max": "max tie", "pow": "0^y, x^0"}


def all_shapes(count):
    shapes = [(count,)]
    for a in range(1, count + 1):
        if count % a == 0:
            shapes.append((a, count // a))
            for b in range(1, count // a + 1):
                if (count // a) % b == 0:
                    shapes.append((a, b, count // a // b))
    return [s for s in shapes if all(x <= 6 for x in s)]


# ───────────────────────────── printing ─────────────────────────────

ATOM, POSTFIX, POW, UNARY, MUL, ADD = 0, 1, 2, 3, 4, 5
INFIX = {"add": ("+", ADD), "sub": ("-", ADD), "mul": ("*", MUL), "div": ("/", MUL)}
PY_FN = {"exp": "M.exp", "log": "M.log", "sqrt": "M.sqrt", "sin": "M.sin", "cos": "M.cos",
         "tanh": "M.tanh", "sigmoid": "M.sigmoid", "relu": "M.relu", "abs": "M.abs",
         "step": "M.step", "softplus": "M.softplus", "transpose": "M.transpose", "log_softmax": "M.log_softmax",
         "min": "M.minimum", "max": "M.maximum"}


def lang(node, names):
    """(text, precedence level) of a node in the expression language, with minimal parentheses."""
    if node.id in names:
        return names[node.id], ATOM
    op = node.op

    def sub(child, limit):
        text, level = lang(child, names)
        return f"({text})" if level > limit else text

    if op == "input":
        return node.attr, ATOM
    if op == "const":
        text = literal(node.attr)
        return text, (UNARY if node.val.ndim == 0 and node.val < 0 else ATOM)
    if op == "neg":
        return "-" + sub(node.kids[0], UNARY), UNARY
    if op in INFIX:
        sym, level = INFIX[op]
        return f"{sub(node.kids[0], level)} {sym} {sub(node.kids[1], level - 1)}", level
    if op == "matmul":
        if node.attr == "fn":
            return f"matmul({lang(node.kids[0], names)[0]}, {lang(node.kids[1], names)[0]})", ATOM
        return f"{sub(node.kids[0], MUL)} @ {sub(node.kids[1], UNARY)}", MUL
    if op == "pow":
        return f"{sub(node.kids[0], POSTFIX)}{node.attr}{sub(node.kids[1], UNARY)}", POW
    if op == "index":
        return f"{sub(node.kids[0], POSTFIX)}[{index_text(node.attr)}]", POSTFIX
    args = [lang(k, names)[0] for k in node.kids]
    if op in ("sum", "mean") and node.attr is not None:
        args.append(str(node.attr))
    if op == "reshape":
        args.append("[" + ", ".join(str(s) for s in node.attr) + "]")
    return f"{op}({', '.join(args)})", ATOM


def py(node, names):
    """The node as a fully parenthesised Python expression over the namespace M."""
    if node.id in names:
        return names[node.id]
    op, k = node.op, node.kids
    if op == "input":
        return node.attr
    if op == "const":
        return f"M.c({literal(node.attr)})"
    if op == "neg":
        return f"(-{py(k[0], names)})"
    if op in INFIX:
        return f"({py(k[0], names)} {INFIX[op][0]} {py(k[1], names)})"
    if op == "matmul":
        return f"({py(k[0], names)} @ {py(k[1], names)})"
    if op == "pow":
        return f"M.power({py(k[0], names)}, {py(k[1], names)})"
    if op == "leaky_relu":
        return f"M.leaky_relu({', '.join(py(c, names) for c in k)})"
    if op == "index":
        return f"({py(k[0], names)})[{index_text(node.attr)}]"
    if op in ("sum", "mean"):
        axis = "" if node.attr is None else f", axis={node.attr}"
        return f"M.{op}({py(k[0], names)}{axis})"
    if op == "reshape":
        return f"M.reshape({py(k[0], names)}, ({', '.join(str(s) for s in node.attr)},))"
    return f"{PY_FN[op]}({', '.join(py(c, names) for c in k)})"


def walk(root):
    """Nodes in post-order (children first), each once, and how many operations use each."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node.id in seen:
            continue
        seen.add(node.id)
        stack.append((node, True))
        for c in reversed(node.kids):
            stack.append((c, False))
    uses = {}
    for node in order:
        for c in node.kids:
            uses[c.id] = uses.get(c.id, 0) + 1
    return order, uses


def op_keys(order):
    """The coverage keys of a program: which operations and forms it exercises."""
    keys = set()
    for n in order:
        op = n.op
        if op in ("input", "const"):
            continue
        if op == "pow":
            keys.add("^ constant exponent" if n.kids[1].op == "const" else "^ tensor exponent")
            if n.attr == "**":
                keys.add("** spelling")
        elif op == "neg":
            keys.add("unary -")
        elif op in INFIX:
            keys.add(INFIX[op][0])
        elif op == "leaky_relu":
            keys.add(f"leaky_relu({'x' if len(n.kids) == 1 else 'x, a'})")
        elif op == "matmul":
            ra, rb = (len(c.shape) for c in n.kids)
            keys.add({(2, 2): "@ mat-mat", (2, 1): "@ mat-vec", (1, 2): "@ vec-mat", (1, 1): "@ dot"}[(ra, rb)])
            a, b = n.kids[0].shape, n.kids[1].shape
            if (a[0] if ra == 2 else 1) * a[-1] * (b[1] if rb == 2 else 1) >= BLAS_THRESHOLD:
                keys.add("@ through OpenBLAS")
            if n.attr == "fn":
                keys.add("matmul()")
        elif op in ("sum", "mean"):
            keys.add(f"{op}(x, axis)" if n.attr is not None else f"{op}(x)")
        elif op == "reshape":
            keys.add("reshape" + (" with -1" if -1 in n.attr else ""))
        elif op == "index":
            keys.add("index/slice")
            if any(c[0] == "slice" and c[3] is not None and c[3] < 0 for c in n.attr):
                keys.add("slice with negative step")
        elif op == "transpose":
            keys.add("transpose")
        else:
            keys.add(op)
        if op in ("add", "sub", "mul", "div", "min", "max", "pow", "leaky_relu") and len(n.kids) == 2:
            sa, sb = n.kids[0].shape, n.kids[1].shape
            if sa != sb:
                keys.add("broadcasting")
                if len(sa) != len(sb):
                    keys.add("broadcast, ranks differ")
                if n.shape not in (sa, sb):
                    keys.add("broadcast, both stretched")  # e.g. [2, 1] with [1, 3]
    return keys


class Program:
    def __init__(self, family, index, text, py_src, inputs, keys, root):
        self.family, self.index = family, index
        self.kinks = []        # the kink family's deliberate kinks
        self.text, self.py_src = text, py_src
        self.inputs = inputs   # name → np.ndarray, in first-use order
        self.keys = keys
        self.root = root

    def at_text(self):
        return ",".join(f"{name}={literal(v)}" for name, v in self.inputs.items())

    def command(self, binary="backprop"):
        """One shell line that reruns the program (bash's $'…' quoting keeps its new lines)."""
        if "\n" in self.text:
            text = "$'" + self.text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"
        else:
            text = shlex.quote(self.text)
        return f"{binary} trace {text} --at {shlex.quote(self.at_text())} --json"


def emit(gen: Generator, root: Node, family, index):
    rng = gen.rng
    order, uses = walk(root)
    names, lang_lines, py_lines, counter = {}, [], [], 0
    for node in order[:-1]:
        if node.op in ("input", "const"):
            continue
        if uses.get(node.id, 0) > 1 or rng.random() < 0.12:
            # a name used only here may be assigned again (`t1 = t1 * 2`): the later value wins
            spent = [names[c.id] for c in node.kids if c.id in names and uses.get(c.id, 0) == 1]
            if spent and rng.random() < 0.5:
                name = spent[0]
            else:
                counter += 1
                name = f"t{counter}"
            lang_lines.append(f"{name} = {lang(node, names)[0]}")
            py_lines.append(f"    {name} = {py(node, names)}")
            if rng.random() < 0.1:   # `b = a` makes another name for the same node
                alias = f"{name}_alias"
                lang_lines.append(f"{alias} = {name}")
                py_lines.append(f"    {alias} = {name}")
                name = alias
            names[node.id] = name
    out_text = lang(root, names)[0]
    bare = rng.random() < 0.15 and not out_text.startswith("-") and not out_text.startswith("+")
    lang_lines.append(out_text if bare else f"f = {out_text}")
    py_lines.append(f"    return {py(root, names)}")
    sep = rng.choice(["; ", "; ", "\n", ";\n"])
    text = sep.join(lang_lines)
    if rng.random() < 0.08:
        text = "# generated by scripts/crosscheck.py\n" + text
    inputs = {}
    for node in order:
        if node.op == "input" and node.attr not in inputs:
            inputs[node.attr] = gen.inputs[node.attr]
    py_src = f"def program({', '.join(inputs)}):\n" + "\n".join(py_lines) + "\n"
    return Program(family, index, text, py_src, inputs, op_keys(order), root)


def generate(family, index, seed):
    rng = random.Random(f"{seed}:{family}:{index}")
    while True:  # a program of constants only has nothing to differentiate: draw again
        program = generate_one(rng, family, index)
        if program.inputs:
            return program


def generate_one(rng, family, index):
    gen = Generator(rng, family)
    kinds = []
    if family == "matmul-openblas":
        root = big_product(gen)
    elif family == "kink":
        kinds = rng.sample(KINK_KINDS, rng.choice([1, 1, 2]))
        shape = rng.choice([(), (3,), (4,), (2, 3)])
        body = None
        for kind in kinds:
            core = gen.kink_core(kind, shape)
            body = core if body is None else Node("add", [body, core], val=body.val + core.val)
        context = rng.randrange(4)
        if context == 1:
            other = gen.gen(shape, 2)
            body = Node("mul", [body, other], val=body.val * other.val)
        elif context == 2:
            body = Node("tanh", [body], val=np.tanh(body.val))
            other = gen.gen(shape, 2)
            body = Node("add", [body, other], val=body.val + other.val)
        elif context == 3 and len(shape) == 1:
            w = gen.gen((2, shape[0]), 1)
            body = Node("matmul", [w, body], attr="@", val=w.val @ body.val)
        root = body
    else:
        depth = 5 if family == "mixed" else 3
        focus = FAMILIES[family]
        shapes = [s for s in BODY_SHAPES if family != "matmul" or len(s) <= 2]
        if family == "broadcast":
            shapes = [(2, 3), (3, 2), (3, 3), (2, 3, 2), (2, 2), (3,), (4,)]
        root = None
        for _ in range(30):
            shape = rng.choice(shapes)
            ops = [o for o in focus if gen.can_make(o, shape)] if focus else None
            root = gen.gen(shape, depth, ops=ops or None)
            order, _ = walk(root)
            if focus is None or any(n.op not in ("input", "const") and op_family_hit(n, focus) for n in order):
                break
    if root.shape != ():
        fn = rng.choice(["sum", "sum", "mean"])
        root = Node(fn, [root], val=(np.sum if fn == "sum" else np.mean)(root.val))
    program = emit(gen, root, family, index)
    program.kinks = kinds
    return program


def big_product(gen: Generator):
    """A product large enough for OpenBLAS (m·k·n ≥ 32,768, sometimes just below), from small inputs.

    A dense [m, n] matrix is built from an [m] and an [n] input as sin(u·vᵀ + c), through reshape
    and broadcasting, so `--at` stays short while the product and its backward (upstream @ yᵀ,
    xᵀ @ upstream) run on thousands of entries.
    """
    rng = gen.rng

    def dense(m, n):
        u, v = gen.new_input((m,)), gen.new_input((n,))
        ru = Node("reshape", [u], attr=rng.choice([[m, 1], [-1, 1]]), val=u.val.reshape(m, 1))
        rv = Node("reshape", [v], attr=rng.choice([[1, n], [1, -1]]), val=v.val.reshape(1, n))
        outer = Node("mul", [ru, rv], val=ru.val * rv.val)
        c = gen.const((), [0.5, 1, -0.25])
        shifted = Node("add", [outer, c], val=outer.val + c.val)
        fn = rng.choice(["sin", "cos", "tanh"])
        return Node(fn, [shifted], val={"sin": np.sin, "cos": np.cos, "tanh": np.tanh}[fn](shifted.val))

    def product(a, b):
        return Node("matmul", [a, b], attr=rng.choice(["@", "@", "fn"]), val=np.matmul(a.val, b.val))

    kind = rng.choice(["mm", "mm", "mm", "mv", "vm", "dot", "chain", "transposed"])
    if kind == "mm":
        m, k, n = rng.randint(20, 48), rng.randint(20, 48), rng.randint(20, 48)
        p = product(dense(m, k), dense(k, n))
    elif kind == "transposed":
        m, k, n = rng.randint(24, 48), rng.randint(24, 48), rng.randint(24, 48)
        a = dense(k, m)
        p = product(Node("transpose", [a], val=a.val.T), dense(k, n))
    elif kind == "chain":
        m, k, n, q = (rng.randint(24, 40) for _ in range(4))
        p = product(product(dense(m, k), dense(k, n)), dense(n, q))
    elif kind == "mv":
        m, k = rng.randint(120, 256), rng.randint(120, 256)
        p = product(dense(m, k), gen.new_input((k,)))
    elif kind == "vm":
        m, n = rng.randint(120, 256), rng.randint(120, 256)
        p = product(gen.new_input((m,)), dense(m, n))
    else:  # a dot product of two vectors of 32,768 entries
        def long_vector():
            d = dense(128, 256)
            return Node("reshape", [d], attr=[-1], val=d.val.reshape(-1))
        p = product(long_vector(), long_vector())
        c = gen.const((), [1000])
        return Node("tanh", [Node("div", [p, c], val=p.val / 1000)], val=np.tanh(p.val / 1000))
    fn = rng.choice(["sin", "tanh"])
    return Node(fn, [p], val={"sin": np.sin, "tanh": np.tanh}[fn](p.val))


def op_family_hit(node, focus):
    op = node.op
    tags = {op}
    if op == "pow":
        tags.add("pow_const" if node.kids[1].op == "const" else "pow_tensor")
    if op == "leaky_relu":
        tags.add("leaky1" if len(node.kids) == 1 else "leaky2")
    if op in ("sum", "mean"):
        tags.add(op + ("_all" if node.attr is None else "_axis"))
    if op == "neg":
        tags.add("neg")
    return bool(tags & set(focus))


# ───────────────────────────── the JAX side ─────────────────────────────

class Native:
    """JAX's own functions (relu, leaky_relu, abs, min/max and power as JAX defines them)."""
    c = staticmethod(lambda v: jnp.asarray(v, dtype=jnp.float64))
    exp, log, sqrt, sin, cos, tanh = (staticmethod(f) for f in (jnp.exp, jnp.log, jnp.sqrt, jnp.sin, jnp.cos, jnp.tanh))
    sigmoid = staticmethod(jax.nn.sigmoid)
    relu = staticmethod(jax.nn.relu)
    abs = staticmethod(jnp.abs)
    step = staticmethod(lambda x: jnp.heaviside(x, 1.0))
    softplus = staticmethod(jax.nn.softplus)
    log_softmax = staticmethod(lambda x: jax.nn.log_softmax(x, axis=-1))
    minimum, maximum = staticmethod(jnp.minimum), staticmethod(jnp.maximum)
    transpose = staticmethod(jnp.transpose)
    reshape = staticmethod(jnp.reshape)
    power = staticmethod(jnp.power)
    leaky_relu = staticmethod(lambda x, a=0.01: jax.nn.leaky_relu(x, a))

    @staticmethod
    def sum(x, axis=None):
        return jnp.sum(x, axis=axis)

    @staticmethod
    def mean(x, axis=None):
        return jnp.mean(x, axis=axis)


@jax.custom_jvp
def documented_power(x, y):
    return jnp.power(x, y)


@documented_power.defjvp
def _documented_power_jvp(primals, tangents):
    # docs/expression-language.md: ∂f/∂x is 0 where y = 0; ∂f/∂y is 0 at x = 0 with y ≥ 0, else f·ln x.
    x, y = primals
    dx, dy = tangents
    f = jnp.power(x, y)
    gx = jnp.where(y == 0, 0.0, y * jnp.power(x, jnp.where(y == 0, 1.0, y - 1)))
    safe_x = jnp.where(x == 0, 1.0, x)
    gy = jnp.where((x == 0) & (y >= 0), 0.0, f * jnp.log(safe_x))
    return f, gx * dx + gy * dy


@jax.custom_jvp
def documented_abs(x):
    return jnp.abs(x)


@documented_abs.defjvp
def _documented_abs_jvp(primals, tangents):
    # docs/expression-language.md: abs'(x) = sign(x), so abs'(0) = 0 (JAX's own jnp.abs uses 1 at 0).
    (x,), (dx,) = primals, tangents
    return jnp.abs(x), jnp.sign(x) * dx


class Documented(Native):
    """The conventions docs/expression-language.md documents at kinks (PyTorch's)."""
    abs = staticmethod(documented_abs)
    leaky_relu = staticmethod(lambda x, a=0.01: jnp.where(x > 0, x, a * x))
    power = staticmethod(documented_power)


def run_jax(program: Program, namespace):
    scope = {"M": namespace}
    exec(program.py_src, scope)
    fn = scope["program"]
    args = [jnp.asarray(v, dtype=jnp.float64) for v in program.inputs.values()]
    value, grads = jax.value_and_grad(fn, argnums=tuple(range(len(args))))(*args)
    return (np.asarray(value, dtype=np.float64),
            {name: np.asarray(g, dtype=np.float64) for name, g in zip(program.inputs, grads)})


# ───────────────────────────── the engine side ─────────────────────────────

def run_engine(program: Program, binary: str):
    try:
        proc = subprocess.run([binary, "trace", program.text, "--at", program.at_text(), "--json"],
                              capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "timed out after 120 s"
    if proc.returncode != 0:
        return None, f"exit status {proc.returncode}: {proc.stderr.strip()}"
    try:
        return json.loads(proc.stdout), None
    except json.JSONDecodeError as e:
        return None, f"bad JSON: {e}"


# ───────────────────────────── comparison ─────────────────────────────

def rel_err(engine, reference):
    """Largest entrywise |e − r| / max(|e|, |r|, REL_FLOOR); inf on a shape mismatch or a NaN.

    The floor keeps rounding noise in an entry that cancels to about 0 (a gradient that is
    exactly 0 in real arithmetic, computed as 1e-16 on one side and 0 on the other) from
    counting as a relative error of 1: below |x| = 1e-3 the error is absolute, scaled by 1e3.
    """
    e = np.asarray(engine, dtype=np.float64)
    r = np.asarray(reference, dtype=np.float64)
    if e.shape != r.shape:
        return math.inf, None
    if e.size == 0:
        return 0.0, None
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(r))):
        same = np.all((e == r) | (np.isnan(e) & np.isnan(r)))
        return (0.0 if same else math.inf), None
    err = np.abs(e - r) / np.maximum(np.maximum(np.abs(e), np.abs(r)), REL_FLOOR)
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
    return float(np.max(err)), tuple(int(i) for i in worst)


def compare(program, result, error, reference):
    """(value error, gradient error, list of disagreement lines)."""
    if error is not None:
        return math.inf, math.inf, [f"engine failed: {error}"]
    problems = []
    ref_value, ref_grads = reference
    v_err, _ = rel_err(result.get("value"), ref_value)
    if v_err > TOLERANCE:
        problems.append(f"value: engine {result.get('value')!r}, reference {ref_value.tolist()!r} (rel. error {v_err:.3g})")
    g_err = 0.0
    grads = result.get("gradients") or {}
    for name, ref in ref_grads.items():
        got = grads.get(name)
        if got is None:
            problems.append(f"gradient of {name}: engine null, reference {ref.tolist()!r}")
            g_err = math.inf
            continue
        err, where = rel_err(got, ref)
        g_err = max(g_err, err)
        if err > TOLERANCE:
            at = "" if not where else f" (worst at position {list(where)})"
            problems.append(f"gradient of {name}: engine {got!r}, reference {ref.tolist()!r} (rel. error {err:.3g}){at}")
    return v_err, g_err, problems


def fmt_err(e):
    if e is None:
        return "-"
    if math.isinf(e):
        return "inf"
    return "0" if e == 0 else f"{e:.2e}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=840, help="programs in all, split evenly over the families (default 840)")
    parser.add_argument("--seed", default="1", help="the generator's seed (default 1)")
    parser.add_argument("--binary", default=".build/debug/backprop", help="the backprop executable")
    parser.add_argument("--family", action="append", choices=list(FAMILIES), help="run only these families")
    parser.add_argument("--jobs", type=int, default=4, help="engine processes at once (default 4)")
    parser.add_argument("--show", action="store_true", help="print every program and its command")
    parser.add_argument("--json-out", help="write every program's result to this JSON file")
    args = parser.parse_args()

    families = args.family or list(FAMILIES)
    per_family = max(1, args.count // len(families))
    started = time.time()
    programs = [generate(fam, i, args.seed) for fam in families for i in range(per_family)]
    print(f"generated {len(programs)} programs ({per_family} per family, seed {args.seed}) in {time.time() - started:.1f} s",
          flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_engine, p, args.binary) for p in programs]
        rows, failures, kink_rows, records = {}, [], {}, []
        coverage = {}
        for program, future in zip(programs, futures):
            result, error = future.result()
            try:
                doc_ref = run_jax(program, Documented if program.family == "kink" else Native)
            except Exception as e:  # a generator bug, not the engine's: report it like a failure
                doc_ref, error = None, f"the JAX reference failed: {type(e).__name__}: {e}"
            v_err, g_err, problems = compare(program, result, error, doc_ref)
            row = rows.setdefault(program.family, {"programs": 0, "value": 0.0, "grad": 0.0, "failures": 0})
            row["programs"] += 1
            row["value"] = max(row["value"], v_err)
            row["grad"] = max(row["grad"], g_err)
            for key in program.keys:
                coverage[key] = coverage.get(key, 0) + 1
            if problems:
                row["failures"] += 1
                failures.append((program, problems))
            native_diff = []
            if program.family == "kink" and error is None:
                for kind in program.kinks:
                    # the documented conventions, but JAX's own function for this kind of kink
                    attr = KINK_FUNCTION[kind]
                    namespace = type("NativeAt" + kind, (Documented,), {attr: Native.__dict__[attr]})
                    _, _, diff = compare(program, result, None, run_jax(program, namespace))
                    native_diff += diff
                    k = kink_rows.setdefault(kind, {"programs": 0, "failures": 0, "native": 0, "example": None})
                    k["programs"] += 1
                    k["failures"] += bool(problems)
                    k["native"] += bool(diff)
                    if diff and k["example"] is None:
                        k["example"] = (program, diff)
            if args.show:
                print(f"[{program.family} #{program.index}] {'FAIL' if problems else 'ok'}  {program.command(args.binary)}")
            records.append({"family": program.family, "index": program.index, "program": program.text,
                            "at": program.at_text(), "python": program.py_src, "value_error": v_err,
                            "gradient_error": g_err, "problems": problems, "jax_native_differences": native_diff})

    total = {"programs": 0, "value": 0.0, "grad": 0.0, "failures": 0}
    print()
    print(f"{'op family':<24} {'programs':>8}  {'max rel. err value':>18}  {'max rel. err gradients':>22}  {'failures':>8}")
    for fam in families:
        r = rows.get(fam)
        if not r:
            continue
        print(f"{fam:<24} {r['programs']:>8}  {fmt_err(r['value']):>18}  {fmt_err(r['grad']):>22}  {r['failures']:>8}")
        total["programs"] += r["programs"]
        total["value"] = max(total["value"], r["value"])
        total["grad"] = max(total["grad"], r["grad"])
        total["failures"] += r["failures"]
    print(f"{'all':<24} {total['programs']:>8}  {fmt_err(total['value']):>18}  {fmt_err(total['grad']):>22}  {total['failures']:>8}")
    print(f"\n(relative error |engine − JAX| / max(|engine|, |JAX|, {REL_FLOOR:g}) per entry; pass ≤ {TOLERANCE:g}; "
          f"kink family compared with the documented convention)")

    print("\ncoverage (programs that contain each operation or form):")
    keys = sorted(coverage)
    for i in range(0, len(keys), 4):
        print("  " + "   ".join(f"{k}: {coverage[k]}" for k in keys[i:i + 4]))

    if kink_rows:
        print("\nkink family by kink (a program may hold two): engine vs the documented convention, and whether")
        print("JAX's own function (jax.nn.relu, jnp.abs, jnp.heaviside, jax.nn.leaky_relu, jnp.minimum/maximum,")
        print("jnp.power) gives a different gradient there (information, not a failure):")
        print(f"  {'kink':<16} {'programs':>8}  {'engine ≠ documented':>19}  {'JAX native differs':>18}")
        for kind in KINK_KINDS:
            k = kink_rows.get(kind)
            if k:
                print(f"  {KINK_LABELS[kind]:<16} {k['programs']:>8}  {k['failures']:>19}  {k['native']:>18}")
        for kind in KINK_KINDS:
            k = kink_rows.get(kind)
            if k and k["example"]:
                program, diffs = k["example"]
                print(f"\n  {KINK_LABELS[kind]}: e.g. {program.command(args.binary)}")
                for d in diffs:
                    print(f"      {d.replace('reference', 'JAX native')}")

    if failures:
        print(f"\nfailures: {len(failures)}")
        for program, problems in failures:
            print(f"\n[{program.family} #{program.index}]")
            print(f"  reproduce: {program.command(args.binary)}")
            for p in problems:
                print(f"  {p}")
            print("  JAX translation:")
            for line in program.py_src.rstrip().split("\n"):
                print(f"    {line}")
    else:
        print("\nno failures")
    print(f"\ndone in {time.time() - started:.1f} s")

    if args.json_out:
        with open(args.json_out, "w") as out:
            json.dump(records, out, indent=1, default=str)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

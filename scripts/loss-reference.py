#!/usr/bin/env python3
"""Reference values for Tests/NeuralNetworksTests/LossTests.swift, from torch.nn.functional.

The scores are CS231n's cat/car/frog example (the notes 001 SVM slide's source), labels 0, 1, 2.
For each LossKind: the mean loss and the gradient of the first row, in float64, printed as
Swift table rows. hinge is the notes' Σ_{j≠y} max(0, s_j − s_y + 1) averaged over the batch,
which is F.multi_margin_loss (which also divides by C) times C.

Usage: python scripts/loss-reference.py   (needs torch)
"""
import torch
import torch.nn.functional as F

SCORES = [[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]]
LABELS = [0, 1, 2]

labels = torch.tensor(LABELS)
onehot = F.one_hot(labels, 3).double()
losses = {
    "crossEntropy": lambda s: F.cross_entropy(s, labels),
    "nll": lambda s: F.nll_loss(s, labels),
    "mse": lambda s: F.mse_loss(s, onehot),
    "mae": lambda s: F.l1_loss(s, onehot),
    "binaryCrossEntropy": lambda s: F.binary_cross_entropy_with_logits(s, onehot),
    "hinge": lambda s: F.multi_margin_loss(s, labels) * 3,
}
print(f"// torch {torch.__version__}")
for name, loss in losses.items():
    scores = torch.tensor(SCORES, dtype=torch.float64, requires_grad=True)
    value = loss(scores)
    value.backward()
    print(f"(.{name}, {value.item()!r}, {scores.grad[0].tolist()}),")

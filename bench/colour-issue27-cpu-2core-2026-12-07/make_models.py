#!/usr/bin/python3
"""The two models the import benchmark imports (untrained: the import's work does not depend on the
weights): the manual's grey 1x28x28 CNN and the same CNN for 3x64x64 colour images, each with its
normalisation inside encode (per channel for the colour one). Usage: make_models.py OUTDIR"""
import os, sys

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, c: int, side: int, k: int, d: int = 64):
        super().__init__()
        self.register_buffer("mean", torch.full((1, c, 1, 1), 0.5))
        self.register_buffer("std", torch.full((1, c, 1, 1), 0.3))
        self.features = nn.Sequential(
            nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * (side // 4) ** 2, d), nn.ReLU())
        self.head = nn.Linear(d, k)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - self.mean) / self.std)

    @torch.jit.export
    def classify(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.encode(x))


torch.manual_seed(0)
out = sys.argv[1]
torch.jit.script(Net(1, 28, 10).eval()).save(os.path.join(out, "grey28.pt"))
torch.jit.script(Net(3, 64, 9).eval()).save(os.path.join(out, "colour64.pt"))

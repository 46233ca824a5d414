#!/usr/bin/python3
"""IG of the Laplace head's total uncertainty, as a PyTorch user writes it in a notebook: the
bundle's own TorchScript classifier and posterior, 64 midpoint steps from a black baseline, all
steps in one batch, one backward. The same work as `latentlab bench --only ig64_ms`.
Usage: ig_pytorch.py BUNDLE [repeats] -> prints the median ms (and the input shape)."""
import json, os, statistics, sys, time

import torch

bundle = sys.argv[1]
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
torch.set_num_threads(int(os.environ.get("THREADS", "2")))
m = json.load(open(os.path.join(bundle, "manifest.json")))
c, h, w = m["input_shape"]
cls = torch.jit.load(os.path.join(bundle, "classifier.pt")).eval()
lap = torch.jit.load(os.path.join(bundle, "laplace.pt")).eval()
x = torch.rand(1, c, h, w)  # the test image's place; the cost does not depend on its values
steps = 64
alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps


def ig():
    xb = torch.zeros_like(x)
    path = (xb + alphas.view(-1, 1, 1, 1) * (x - xb)).requires_grad_(True)
    p = lap(cls.encode(path))
    u = -(p * torch.log(p.clamp_min(1e-12))).sum(1)
    (g,) = torch.autograd.grad(u.sum(), path)
    return (x - xb) * g.mean(0, keepdim=True)


for _ in range(3):
    ig()
ms = []
for _ in range(repeats):
    t = time.perf_counter()
    ig()
    ms.append(1000 * (time.perf_counter() - t))
print(json.dumps({"bundle": bundle, "shape": [c, h, w], "ig64_ms_pytorch_median": statistics.median(ms),
                  "repeats": repeats, "threads": torch.get_num_threads(), "torch": torch.__version__}))

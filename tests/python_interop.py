#!/usr/bin/python3
"""Python <-> LatentLab interop, run by ctest when Debian's python3-torch is installed.

1. Every TorchScript component of a shipped bundle loads with torch.jit.load and behaves as the
   manifest says (shapes, z >= 0, decode in [0,1], the Laplace forward is a distribution).
2. The manual's export recipe (docs/manual.md), scripted here, is imported by `latentlab import`, and the bundle
   it writes loads back in Python and gives the same logits as the original module.
"""
import json, os, subprocess, sys, tempfile

import torch
import torch.nn as nn

latentlab, bundle = sys.argv[1], sys.argv[2]
manifest = json.load(open(os.path.join(bundle, "manifest.json")))
c, h, w = manifest["input_shape"]
d, k = manifest["latent_dim"], len(manifest["class_names"])
torch.manual_seed(0)
x = torch.rand(5, c, h, w)

cls = torch.jit.load(os.path.join(bundle, manifest["components"]["classifier"]))
z = cls.encode(x)
assert z.shape == (5, d) and bool((z >= 0).all()), z.shape
assert cls.classify(z).shape == (5, k)
dec = torch.jit.load(os.path.join(bundle, manifest["components"]["decoder"]))
xr = dec.decode(z)
assert xr.shape == (5, c, h, w) and float(xr.min()) >= 0 and float(xr.max()) <= 1
lap = torch.jit.load(os.path.join(bundle, manifest["components"]["laplace"]))
p = lap(z)
assert p.shape == (5, k) and torch.allclose(p.sum(1), torch.ones(5), atol=1e-5)
S = lap.samples.shape[0]
assert lap.samples.shape == (S, k, d + 1) and lap.covariance.shape == (k * (d + 1),) * 2
vae = torch.jit.load(os.path.join(bundle, manifest["components"]["vae"]))
mu, logvar = vae.encode(x)
assert vae.decode(mu).shape == (5, c, h, w)
for i in range(sum(1 for n in manifest["components"] if n.startswith("ensemble_"))):
    m = torch.jit.load(os.path.join(bundle, manifest["components"][f"ensemble_{i}"]))
    assert m(x).shape == (5, k)
print("python loaded every component of", bundle)


class Net(nn.Module):  # the manual's recipe, with a smaller d
    def __init__(self, d: int = 16):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(8 * 14 * 14, d), nn.ReLU())
        self.head = nn.Linear(d, 10)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - 0.2860) / 0.3530)

    @torch.jit.export
    def classify(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.encode(x))


with tempfile.TemporaryDirectory() as tmp:
    model = Net().eval()
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(tmp, "model.pt"))
    out = os.path.join(tmp, "imported.bundle")
    subprocess.run([latentlab, "import", os.path.join(tmp, "model.pt"), "--dataset", "fashion-mnist",
                    "--out", out, "--limit-train", "2000", "--decoder-epochs", "1", "--vae-epochs", "0"],
                   check=True)
    m2 = json.load(open(os.path.join(out, "manifest.json")))
    assert m2["latent_dim"] == 16 and "laplace" in m2["components"], m2["components"]
    back = torch.jit.load(os.path.join(out, "classifier.pt"))
    xf = torch.rand(3, 1, 28, 28)
    assert torch.equal(back(xf), scripted(xf))
    lap = torch.jit.load(os.path.join(out, "laplace.pt"))
    # The posterior mean is the imported head's weights.
    theta = torch.cat([model.head.weight, model.head.bias[:, None]], 1)
    assert torch.allclose(lap.theta_map, theta, atol=1e-4), (lap.theta_map - theta).abs().max()
print("python interop: OK")

#!/usr/bin/python3
"""A PyTorch user's colour model, end to end (issue 27), run by ctest with Debian's python3-torch.

1. A 3x16x16 colour dataset in the ImageFolder train/ and test/ layout (PNG files written here), a
   colour CNN with per-channel normalisation inside encode, trained in PyTorch and scripted.
2. `latentlab import` on that folder, then `latentlab eval`: the deterministic head's test accuracy
   is exactly PyTorch's, on the same images in torchvision's order (classes sorted, files sorted).
3. The same model on the data read as grey (--channels 1) is refused, naming both shapes.
4. IG of a test image covers all three channels (attribution.csv: 3 x 16 lines) and adds up.
"""
import json, os, struct, subprocess, sys, tempfile, zlib

import numpy as np
import torch
import torch.nn as nn

latentlab = sys.argv[1]
rng = np.random.default_rng(0)
torch.manual_seed(0)
C, H, W, K = 3, 16, 16, 3
classes = ["blue", "green", "red"]  # sorted: the label order ImageFolder gives


def write_png(path, img):  # img H x W x 3 uint8; a plain RGB PNG (no PIL on Debian's python3-torch)
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(img.shape[0]))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", img.shape[1], img.shape[0], 8, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make(n_per_class):
    """Class k's images lean to colour channel (2 - k) (blue, green, red) with the same brightness, so
    that only colour tells them apart; noise makes some ambiguous."""
    xs, ys = [], []
    for k in range(K):
        for i in range(n_per_class):
            img = rng.uniform(60, 160, (H, W, 3))
            ch = 2 - k
            img[:, :, ch] += rng.uniform(0, 70)
            img += rng.normal(0, 25, (H, W, 3))
            xs.append(np.clip(img, 0, 255).astype(np.uint8))
            ys.append(k)
    return np.stack(xs), np.array(ys)


class Net(nn.Module):
    def __init__(self, d: int = 8):
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.45, 0.45, 0.45]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([0.2, 0.2, 0.2]).view(1, 3, 1, 1))
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                                      nn.Linear(8 * 4 * 4, d), nn.ReLU())
        self.head = nn.Linear(d, K)

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.features((x - self.mean) / self.std)  # a grey image would broadcast to 3 channels here

    @torch.jit.export
    def classify(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.encode(x))


with tempfile.TemporaryDirectory() as tmp:
    data = os.path.join(tmp, "shapes")
    split = {}
    for part, n in (("train", 60), ("test", 40)):
        x, y = make(n)
        split[part] = (x, y)
        for k, name in enumerate(classes):
            os.makedirs(os.path.join(data, part, name))
        for i in range(len(y)):
            write_png(os.path.join(data, part, classes[y[i]], f"img{i:05d}.png"), x[i])
    to_t = lambda a: torch.from_numpy(a).permute(0, 3, 1, 2).float() / 255.0
    xtr, ytr = to_t(split["train"][0]), torch.from_numpy(split["train"][1])
    xte, yte = to_t(split["test"][0]), torch.from_numpy(split["test"][1])
    model = Net()
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for epoch in range(60):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xtr), ytr)
        loss.backward()
        opt.step()
    model.eval()
    scripted = torch.jit.script(model)
    path = os.path.join(tmp, "colour.pt")
    scripted.save(path)
    with torch.no_grad():
        torch_correct = int((scripted(xte).argmax(1) == yte).sum())
    torch_acc = torch_correct / len(yte)
    print(f"PyTorch test accuracy {torch_acc:.4f} ({torch_correct}/{len(yte)})")
    assert 0.5 < torch_acc < 1.0, torch_acc  # learnt, and not trivially perfect

    out = os.path.join(tmp, "colour.bundle")
    subprocess.run([latentlab, "import", path, "--dataset", data, "--out", out, "--decoder-epochs", "2",
                    "--vae-epochs", "0", "--dvae-epochs", "0", "--samples", "8"], check=True)
    m = json.load(open(os.path.join(out, "manifest.json")))
    assert m["input_shape"] == [3, 16, 16], m["input_shape"]
    figures = os.path.join(tmp, "eval.json")
    subprocess.run([latentlab, "eval", out, "--ood", "none", "--json", figures], check=True)
    ev = json.load(open(figures))
    acc = ev["heads"]["deterministic"]["accuracy"]
    print(f"LatentLab eval accuracy {acc:.4f}")
    assert abs(acc - torch_acc) < 1e-12, (acc, torch_acc)

    # Read as grey, the colour model is refused before anything is written, naming both shapes.
    grey = subprocess.run([latentlab, "import", path, "--dataset", data, "--channels", "1", "--out",
                           os.path.join(tmp, "grey.bundle"), "--vae-epochs", "0", "--dvae-epochs", "0"],
                          capture_output=True, text=True)
    assert grey.returncode != 0, grey.stdout
    assert "3-channel" in grey.stderr and "1x16x16" in grey.stderr and path in grey.stderr, grey.stderr
    assert not os.path.exists(os.path.join(tmp, "grey.bundle"))

    ig = os.path.join(tmp, "ig")
    subprocess.run([latentlab, "explain", out, "--method", "ig", "--index", "5", "--target", "class:0", "--head",
                    "deterministic", "--steps", "512", "--out", ig], check=True)
    s = json.load(open(os.path.join(ig, "summary.json")))
    assert s["shape"] == [3, 16, 16], s["shape"]
    rows = open(os.path.join(ig, "attribution.csv")).read().splitlines()
    assert len(rows) == 3 * 16 and all(len(r.split(",")) == 16 for r in rows), len(rows)
    values = np.array([[float(v) for v in r.split(",")] for r in rows]).reshape(3, 16, 16)
    assert all(np.abs(values[c]).sum() > 0 for c in range(3)), "a channel without attribution"
    assert abs(values.sum() - s["sum_attribution"]) < 1e-3 * max(1.0, abs(s["sum_attribution"])), (values.sum(), s)
    assert abs(s["completeness_residual"]) < 0.01, s["completeness_residual"]
    gross = float(np.abs(values).sum())  # Σ|φ| beside the net Σφ
    assert abs(gross - s["gross_attribution"]) < 1e-3 * gross and s["gross_attribution"] >= abs(s["sum_attribution"]), s
print("python colour interop: OK")

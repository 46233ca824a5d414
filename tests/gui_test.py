#!/usr/bin/python3
"""GUI tests: run the real latentlab window under Xvfb with scripts, then check the screenshot
and the state JSON it wrote against an independent computation in Python (Debian python3-torch):
the PCA inverse of the drag, and the Laplace BLL predictive at the dragged latent.

usage: gui_test.py LATENTLAB BUNDLE_DIR CASE
  CASE: drag | bad_script | screenshot | train | mouse | project | fuzz | clue | clue_nudge | ig | flip |
        examples | scales | demos | record | frames (one function case_CASE each below)
"""
import gzip
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
import time

import torch

EXE, BUNDLE, CASE = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
OUT = tempfile.mkdtemp(prefix="ll-gui-")
# An X server per run (tests/xvfb_run.sh): parallel tests never share a display.
XRUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xvfb_run.sh")
W, H = 1600, 960


def run_gui(args, timeout=300):
    # The tests' own scripts write where they say (a shared script would be kept to its --out-dir).
    cmd = ["bash", XRUN, f"{W}x{H}x24", EXE, "gui", BUNDLE, "--size", f"{W}x{H}"] + args
    if "--script" in args and "--out-dir" not in args:
        cmd.append("--allow-writes")
    # errors="replace": the app's messages may quote bytes of a user's file that are not UTF-8.
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
    assert p.returncode == 0, f"latentlab gui exited with {p.returncode}"
    return p


def script(lines):
    path = os.path.join(OUT, "script.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def read_png(path):
    """Minimal PNG reader (8-bit RGB/RGBA, non-interlaced), enough for our own screenshots."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, w, h, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    bpp = 4 if ctype == 6 else 3
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    t = torch.tensor(list(b"".join(rows)), dtype=torch.uint8).reshape(h, w, bpp)
    return t[:, :, :3]


TAB10 = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf]


def check_shows_points(png):
    img = read_png(png).float()
    assert img.shape[0] == H and img.shape[1] == W, f"screenshot is {tuple(img.shape)}"
    assert img.std() > 10, "the screenshot is blank"
    # The map is the left part of the window: count pixels of each class colour there.
    region = img[60:H - 20, 20:W - 560].reshape(-1, 3)
    classes = 0
    total = 0
    for c in TAB10:
        rgb = torch.tensor([(c >> 16) & 255, (c >> 8) & 255, c & 255], dtype=torch.float32)
        n = int(((region - rgb).abs().sum(1) < 40).sum())
        total += n
        classes += n > 30
    print(f"map pixels in class colours: {total}, classes visible: {classes}")
    assert classes >= 8 and total > 3000, "the map does not show the class-coloured points"


def pca_axes(z):
    """The first two principal axes, sign fixed so the largest-magnitude entry is positive."""
    z = z.double()
    c = torch.cov(z.T)
    evals, evecs = torch.linalg.eigh(c)
    axes = []
    for k in (-1, -2):
        v = evecs[:, k]
        if v[v.abs().argmax()] < 0:
            v = -v
        axes.append(v)
    return torch.stack(axes), z.mean(0)


def bll(z, bundle=BUNDLE):
    lap = torch.jit.load(os.path.join(bundle, "laplace.pt"))
    logits = lap.sample_logits(z[None].float())  # [S, 1, K]
    ps = torch.softmax(logits.double(), -1)[:, 0]
    pbar = ps.mean(0)
    ent = lambda p: -(p * torch.log(p.clamp_min(1e-30))).sum(-1)
    total, alea = ent(pbar), ent(ps).mean()
    return pbar, float(total), float(alea), float(total - alea)


def case_drag():
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    dx, dy = 1.5, -0.5
    # A session of a bundle that does not load: it must not be applied to the model that stays.
    with open(f"{OUT}/elsewhere.json", "w") as f:
        json.dump({"format": "latentlab-session", "version": 1, "bundle": "/nonexistent/other.bundle", "projection": "pca",
                   "color": "label", "view": {"x": 0, "y": 0, "scale": 9}, "selection": [1, 2], "selected": 7,
                   "edited": []}, f)
    run_gui(["--script", script([
        "select 5",
        f"drag {dx} {dy}",
        f"state {OUT}/drag.json",
        f"screenshot {OUT}/shot.png",
        f"export-csv {OUT}/sel.csv",
        "load /nonexistent/bundle",
        f"state {OUT}/bad_load.json",
        "screenshot /nonexistent/dir/x.png",
        f"state {OUT}/bad_shot.json",
        f"session-save {OUT}/session.json",
        "undo",
        f"state {OUT}/undo.json",
        f"session-load {OUT}/session.json",
        f"state {OUT}/session.json.state",
        f"session-load {OUT}/script.txt",
        f"state {OUT}/bad_session.json",
        f"session-load {OUT}/elsewhere.json",
        f"state {OUT}/elsewhere.state",
        "quit",
    ])])
    check_shows_points(f"{OUT}/shot.png")

    s = st("drag.json")
    assert s["selected"] == 5 and s["edited_points"] == 1 and s["last_error"] == "", s["last_error"]
    zall = torch.load(os.path.join(BUNDLE, "cache", "latents_test.pt"))
    z0 = zall[5].double()
    assert torch.allclose(torch.tensor(s["origin_latent"]).double(), z0, atol=1e-6)
    axes, mean = pca_axes(zall)
    assert torch.allclose(torch.tensor(s["pca"]["axes"]).double().reshape(2, -1), axes, atol=2e-3), "PCA axes differ"
    lo, hi = zall.min(0).values.double(), zall.max(0).values.double()
    expect = torch.clamp(z0 + dx * axes[0] + dy * axes[1], lo, hi)
    got = torch.tensor(s["latent"]).double()
    err = float((got - expect).abs().max())
    print(f"latent vs clamp(z0 + V [dx, dy]): max abs error {err:.2e}")
    assert err < 1e-3, "the dragged latent is not the PCA inverse of the drag"
    assert float((got - z0).abs().max()) > 0.1, "the drag did not move the latent"
    pbar, total, alea, epi = bll(got)
    perr = float((torch.tensor(s["probabilities"]).double() - pbar).abs().max())
    print(f"probabilities vs the BLL at that latent: max abs error {perr:.2e}")
    assert perr < 1e-4
    u = s["uncertainty"]
    assert abs(u["total"] - total) < 1e-4 and abs(u["aleatoric"] - alea) < 1e-4 and abs(u["epistemic"] - epi) < 1e-4, u

    rows = open(f"{OUT}/sel.csv").read().strip().split("\n")
    assert rows[0].startswith("index,label,prediction,total,aleatoric,epistemic,x,y,z0,") and len(rows) == 2, rows[:2]
    cells = rows[1].split(",")
    assert cells[0] == "5" and int(cells[1]) == s["label"]
    assert torch.allclose(torch.tensor([float(c) for c in cells[8:]]).double(), z0, atol=1e-6)

    b = st("bad_load.json")
    assert "/nonexistent/bundle" in b["last_error"], b["last_error"]
    assert b["bundle"] == s["bundle"] and b["points"] == 10000 and b["edited_points"] == 1, "the previous model did not stay"
    b = st("bad_shot.json")
    assert "/nonexistent/dir/x.png" in b["last_error"], b["last_error"]
    assert st("undo.json")["edited_points"] == 0
    r = st("session.json.state")
    assert r["edited_points"] == 1 and r["selected"] == 5
    b = st("bad_session.json")
    assert "session" in b["last_error"] and "script.txt" in b["last_error"], b["last_error"]
    assert b["edited_points"] == 1
    e = st("elsewhere.state")
    print("a session of another bundle:", e["last_error"])
    assert "not applied" in e["last_error"] and e["selected"] == 5 and e["selection_count"] == 0, e["last_error"]


def case_bad_script():
    run_gui(["--script", script(["select 3", "frobnicate 7", "drag one two", f"state {OUT}/s.json", "quit"])])
    s = json.load(open(f"{OUT}/s.json"))
    errs = "\n".join(s["errors"])
    print(errs)
    assert "script.txt:2: unknown command 'frobnicate'" in errs and "script.txt:3:" in errs
    assert s["selected"] == 3 and s["points"] == 10000, "the app did not keep running the valid lines"


def case_screenshot():
    p = run_gui(["--screenshot", f"{OUT}/only.png"])
    check_shows_points(f"{OUT}/only.png")
    # A headless run that fails says so with its exit code: a bundle that does not load, or an
    # image that cannot be saved (both exited 0 before).
    for args, why in ((["--screenshot", f"{OUT}/x.png"], "bundle"), (["--screenshot", f"{OUT}/no/dir/x.png"], "folder")):
        bundle = "/nonexistent/bundle" if why == "bundle" else BUNDLE
        cmd = ["bash", XRUN, f"{W}x{H}x24", EXE, "gui", bundle, "--size", f"{W}x{H}"] + args
        q = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=300)
        print(f"--screenshot with a bad {why}: exit {q.returncode}")
        # xvfb_run.sh passes the app's exit code on
        assert q.returncode != 0 and "latentlab: error:" in q.stderr, q.stderr


def fashion_test_image(i):
    """Test image i of Fashion-MNIST from the Debian package, [1, 1, 28, 28] in [0, 1]."""
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        data = f.read()
    magic, n, h, w = struct.unpack(">IIII", data[:16])
    assert magic == 2051 and 0 <= i < n
    px = data[16 + i * h * w:16 + (i + 1) * h * w]
    return torch.tensor(list(px), dtype=torch.float32).reshape(1, 1, h, w) / 255.0


def case_train():
    """Train a small model from the GUI (a job), which then loads it; check it with Python's torch."""
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    new = os.path.join(OUT, "new.bundle")
    run_gui(["--script", script([
        f"train-model fashion-mnist {new} epochs=1 limit-train=512 decoder-epochs=1 vae-epochs=0 latent-dim=16 seed=3",
        "select 3",
        f"state {OUT}/trained.json",
        f"train-model fashion-mnist {new} epochs=1",
        f"state {OUT}/again.json",
        "quit",
    ])])
    s = st("trained.json")
    assert s["bundle"] == new and s["last_error"] == "", s
    assert s["points"] == 10000 and len(s["latent"]) == 16
    man = json.load(open(os.path.join(new, "manifest.json")))
    print("manifest training settings:", man.get("training"))
    # The latent the GUI shows for test image 3 is the new TorchScript encoder's output for it.
    enc = torch.jit.load(os.path.join(new, "classifier.pt"))
    z = enc.encode(fashion_test_image(3))[0].double()
    zerr = float((torch.tensor(s["latent"]).double() - z).abs().max())
    print(f"latent vs Python encode of test image 3: max abs error {zerr:.2e}")
    assert zerr < 1e-4
    pbar, total, alea, epi = bll(z, new)
    perr = float((torch.tensor(s["probabilities"]).double() - pbar).abs().max())
    print(f"probabilities vs the new bundle's BLL: max abs error {perr:.2e}")
    assert perr < 1e-4 and abs(s["uncertainty"]["total"] - total) < 1e-4
    # Training again into the same directory is refused; the trained model stays loaded.
    a = st("again.json")
    assert "already exists" in a["last_error"] and new in a["last_error"], a["last_error"]
    assert a["bundle"] == new and a["points"] == 10000


class MouseSession:
    """The real window on an Xvfb of our own, driven with xdotool. The script runs `before`, writes
    s0.json, then for k = 1..steps waits for the file go<k> and writes s<k>.json; then `after`."""

    def __init__(self, before, steps, after=(), args=()):
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", f"{W}x{H}x24", "-nolisten", "tcp"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.env = dict(os.environ, DISPLAY=":" + self.xvfb.stdout.readline().decode().strip())
        lines = list(before) + [f"state {OUT}/s0.json"]
        for k in range(1, steps + 1):
            lines += [f"wait-for {OUT}/go{k} 120", "wait 5", f"state {OUT}/s{k}.json"]
        lines += list(after) + ["quit"]
        self.app = subprocess.Popen([EXE, "gui", BUNDLE, "--size", f"{W}x{H}", "--script", script(lines), "--allow-writes", *args], env=self.env,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.wid = None

    def state(self, k, timeout=300):
        import time
        path = f"{OUT}/s{k}.json"
        t0 = time.time()
        while not os.path.exists(path):
            assert self.app.poll() is None, f"latentlab exited early:\n{self.app.stdout.read()}"
            assert time.time() - t0 < timeout, f"no {path} after {timeout} s"
            time.sleep(0.1)
        time.sleep(0.2)
        if self.wid is None:
            self.wid = subprocess.run(["xdotool", "search", "--sync", "--name", "^LatentLab$"], env=self.env, check=True,
                                      capture_output=True, text=True).stdout.split()[0]
        return json.load(open(path))

    def xdo(self, *args):
        subprocess.run(["xdotool", *[str(a) for a in args]], env=self.env, check=True)

    def move(self, X, Y):
        import time
        self.xdo("mousemove", "--window", self.wid, int(round(X)), int(round(Y)))
        time.sleep(0.08)

    def go(self, k):
        import time
        time.sleep(0.3)
        open(f"{OUT}/go{k}", "w").close()
        return self.state(k)

    def close(self):
        if self.app.poll() is None:
            self.app.kill()
        self.xvfb.terminate()


def map_coords(s0):
    """Projection units <-> window pixels for the map of state s0 (its rect), under view v."""
    r = s0["map_rect"]

    def to_screen(px, py, v):
        return (r["left"] + r["width"] / 2 + (px - v["x"]) * v["scale"],
                r["top"] + r["height"] / 2 - (py - v["y"]) * v["scale"])

    def to_data(X, Y, v):
        return (v["x"] + (X - r["left"] - r["width"] / 2) / v["scale"],
                v["y"] - (Y - r["top"] - r["height"] / 2) / v["scale"])
    return to_screen, to_data


def isolated_point(s0):
    """An isolated test point well inside the map of state s0, away from the legend in the top-left
    corner: its index, window pixel, and the PCA frame (latents, axes, positions, pixel maps)."""
    r, v = s0["map_rect"], s0["view"]
    to_screen_v, to_data = map_coords(s0)

    def to_screen(px, py, v=v):
        return to_screen_v(px, py, v)

    zall = torch.load(os.path.join(BUNDLE, "cache", "latents_test.pt")).double()
    axes = torch.tensor(s0["pca"]["axes"]).double().reshape(2, -1)
    mean = torch.tensor(s0["pca"]["mean"]).double()
    xy = (zall.float().double() - mean) @ axes.T
    scr = torch.stack([torch.tensor(to_screen(float(a), float(b))) for a, b in xy.tolist()])
    d = torch.cdist(scr, scr) + torch.eye(len(scr)) * 1e9
    inside = ((scr[:, 0] > r["left"] + 250) & (scr[:, 0] < r["left"] + r["width"] - 150) &
              (scr[:, 1] > r["top"] + 150) & (scr[:, 1] < r["top"] + r["height"] - 150))
    cand = torch.nonzero(inside & (d.min(1).values > 14)).flatten()
    assert len(cand) > 0, "no isolated point to click"
    i = int(cand[0])
    X, Y = scr[i].tolist()
    return i, X, Y, dict(zall=zall, axes=axes, xy=xy, scr=scr, to_screen=to_screen, to_data=to_data)


def case_mouse():
    """Drive the real window with the mouse (xdotool on an Xvfb of our own): hover, click, drag,
    shift+lasso, wheel zoom and right-button pan, each checked against the state JSON and maths
    done here: the PCA inverse of the dragged pixels, the BLL at that latent, the points inside
    the lasso, the data point that stays under the cursor while zooming, the pan distance."""
    import time
    m = MouseSession([], 7)
    app, xdo, move, go = m.app, m.xdo, m.move, m.go
    try:
        s0 = m.state(0)
        r, v = s0["map_rect"], s0["view"]
        i, X, Y, f = isolated_point(s0)
        zall, axes, xy, scr, to_screen, to_data = f["zall"], f["axes"], f["xy"], f["scr"], f["to_screen"], f["to_data"]
        print(f"point {i} at window pixel ({X:.1f}, {Y:.1f})")

        # 1. hover
        move(X - 30, Y - 30)
        move(X, Y)
        s = go(1)
        assert s["hover"] == i, f"hover shows {s['hover']}, expected {i}"
        # 2. click selects
        xdo("click", 1)
        s = go(2)
        assert s["selected"] == i and s["edited_points"] == 0, s["selected"]
        # 3. drag the selected point 60 px right, 40 px up; release keeps an edited point
        xdo("mousedown", 1)
        time.sleep(0.1)
        for k in range(1, 6):
            move(X + 6 * k, Y - 4 * k)
        time.sleep(0.3)
        # 3a. while the button is still down, the state is what the screen shows: the dragged
        # latent (the PCA inverse of the pixels moved so far) and the prediction there
        sd = go(3)
        assert sd["dragging"] and sd["selected_edited"] == -1 and sd["edited_points"] == 0, sd["dragging"]
        tx, ty = to_data(round(X + 30), round(Y - 20), s0["view"])
        lo, hi = zall.min(0).values, zall.max(0).values
        half = torch.clamp(zall[i] + (tx - float(xy[i, 0])) * axes[0] + (ty - float(xy[i, 1])) * axes[1], lo, hi)
        gd = torch.tensor(sd["latent"]).double()
        assert float((gd - half).abs().max()) < 1e-3, float((gd - half).abs().max())
        if sd["drag"]["evaluated_latent_is_current"]:
            perr = float((torch.tensor(sd["probabilities"]).double() - bll(gd)[0]).abs().max())
            assert perr < 1e-4, perr
        print(f"mouse drag: mid-drag state at the ghost, evaluated: {sd['drag']['evaluated_latent_is_current']}")
        for k in range(6, 11):
            move(X + 6 * k, Y - 4 * k)
        time.sleep(0.2)
        xdo("mouseup", 1)
        s = go(4)
        assert s["edited_points"] == 1 and s["selected_edited"] == 0, (s["edited_points"], s["selected_edited"])
        tx, ty = to_data(round(X + 60), round(Y - 40), s0["view"])
        lo, hi = zall.min(0).values, zall.max(0).values
        expect = torch.clamp(zall[i] + (tx - float(xy[i, 0])) * axes[0] + (ty - float(xy[i, 1])) * axes[1], lo, hi)
        got = torch.tensor(s["latent"]).double()
        err = float((got - expect).abs().max())
        print(f"mouse drag: latent vs the PCA inverse of the pixels moved: max abs error {err:.2e}")
        assert err < 1e-3 and float((got - zall[i]).abs().max()) > 0.05
        pbar, total, alea, epi = bll(got)
        perr = float((torch.tensor(s["probabilities"]).double() - pbar).abs().max())
        print(f"mouse drag: probabilities vs the BLL there: max abs error {perr:.2e}")
        assert perr < 1e-4
        # 4. shift+drag lasso around a rectangle
        cx, cy = r["left"] + r["width"] * 0.45, r["top"] + r["height"] * 0.55
        x0, x1, y0, y1 = cx - 150, cx + 150, cy - 100, cy + 100
        move(x0, y0)
        xdo("keydown", "shift")
        xdo("mousedown", 1)
        corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        for (ax, ay), (bx, by) in zip(corners, corners[1:]):
            for k in range(1, 11):
                move(ax + (bx - ax) * k / 10, ay + (by - ay) * k / 10)
        xdo("mouseup", 1)
        xdo("keyup", "shift")
        s = go(5)
        inn = lambda m: set(torch.nonzero((scr[:, 0] > x0 + m) & (scr[:, 0] < x1 - m) &
                                          (scr[:, 1] > y0 + m) & (scr[:, 1] < y1 - m)).flatten().tolist())
        sel = set(s["selection"])
        print(f"lasso: {len(sel)} selected; {len(inn(3))} to {len(inn(-3))} expected")
        assert len(inn(3)) > 20 and inn(3) <= sel <= inn(-3), "the lasso selection is not the points inside it"
        assert s["selection_count"] == len(sel)
        # 5. wheel zoom (two notches) around the cursor: the data point under it stays
        QX, QY = r["left"] + r["width"] * 0.3, r["top"] + r["height"] * 0.4
        move(QX, QY)
        before = to_data(round(QX), round(QY), s["view"])
        xdo("click", 4)
        time.sleep(0.15)
        xdo("click", 4)
        s5 = go(6)
        ratio = s5["view"]["scale"] / s["view"]["scale"]
        after = to_data(round(QX), round(QY), s5["view"])
        print(f"zoom: scale x{ratio:.3f}; point under the cursor moved {abs(after[0] - before[0]) * s5['view']['scale']:.3f} px")
        assert abs(ratio - 1.44) < 1e-6
        assert abs(after[0] - before[0]) * s5["view"]["scale"] < 0.01 and abs(after[1] - before[1]) * s5["view"]["scale"] < 0.01
        # 6. right-button pan by (120, 70) px
        xdo("mousedown", 3)
        for k in range(1, 11):
            move(QX + 12 * k, QY + 7 * k)
        time.sleep(0.2)
        xdo("mouseup", 3)
        s6 = go(7)
        sc = s5["view"]["scale"]
        dxp = (s5["view"]["x"] - s6["view"]["x"]) * sc
        dyp = (s6["view"]["y"] - s5["view"]["y"]) * sc
        print(f"pan: the view moved ({dxp:.2f}, {dyp:.2f}) px for a (120, 70) px drag")
        assert abs(dxp - 120) < 0.5 and abs(dyp - 70) < 0.5 and s6["view"]["scale"] == sc
        assert app.wait(timeout=60) == 0
    finally:
        m.close()


def read_layout(path):
    rows = open(path).read().strip().split("\n")
    assert rows[0] == "index,x,y", rows[0]
    xy = torch.zeros(len(rows) - 1, 2, dtype=torch.float64)
    for r in rows[1:]:
        i, x, y = r.split(",")
        xy[int(i)] = torch.tensor([float(x), float(y)])
    return xy


def case_project():
    """t-SNE and UMAP views in the GUI on a copy of the bundle (no cached layouts): a cancelled
    layout job leaves the previous view; the finished one is cached; a drag in the t-SNE view moves
    z to the convex combination of the 8 nearest points' latents (checked here from the exported
    layout); a bad layout CSV is rejected with its line number; a good one is shown."""
    b = os.path.join(OUT, "bundle")
    shutil.copytree(BUNDLE, b, ignore=shutil.ignore_patterns("latents_train.pt*", "latents_ood_*", "layout_*", "*.tmp-*"))
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    with open(f"{OUT}/bad.csv", "w") as f:
        f.write("index,x,y\n0,1,2\n1,oops,3\n")
    dx, dy = 2.0, -1.5
    cmd = ["bash", XRUN, f"{W}x{H}x24", EXE, "gui", b, "--size", f"{W}x{H}", "--allow-writes", "--script", script([
        f"export-layout {OUT}/pca.csv",
        "project umap nowait",
        "wait 20",
        "cancel",
        f"state {OUT}/cancelled.json",
        f"export-layout {OUT}/after_cancel.csv",
        # A t-SNE job cancelled by a switch to PCA must not cancel the t-SNE job started after it.
        "project tsne nowait",
        "wait 10",
        "project pca nowait",
        "project tsne",
        f"state {OUT}/tsne.json",
        f"export-layout {OUT}/tsne.csv",
        "select 5",
        f"drag {dx} {dy}",
        f"state {OUT}/drag.json",
        f"layout-csv {OUT}/bad.csv",
        f"state {OUT}/bad.json",
        f"layout-csv {OUT}/pca.csv",
        f"state {OUT}/csv.json",
        f"export-layout {OUT}/csv_shown.csv",
        "quit",
    ])]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    c = st("cancelled.json")
    assert c["projection"] == "pca" and c["layout_computing"] == "", (c["projection"], c["layout_computing"])
    assert torch.equal(read_layout(f"{OUT}/after_cancel.csv"), read_layout(f"{OUT}/pca.csv")), "cancel changed the layout"
    assert not os.path.exists(os.path.join(b, "cache", "layout_umap_test.bin")), "a cancelled layout was cached"
    t = st("tsne.json")
    q = t["layout_quality"]
    print("t-SNE in the GUI:", q)
    assert t["projection"] == "tsne" and q["trustworthiness"] > 0.95 and q["knn_accuracy"] > 0.8, q
    assert os.path.exists(os.path.join(b, "cache", "layout_tsne_test.bin")), "the t-SNE layout was not cached"
    xy = read_layout(f"{OUT}/tsne.csv")
    z = torch.load(os.path.join(b, "cache", "latents_test.pt")).double()
    d = st("drag.json")
    assert d["edited_points"] == 1 and d["last_error"] == "", d["last_error"]
    target = xy[5] + torch.tensor([dx, dy], dtype=torch.float64)
    dist = (xy - target).norm(dim=1)
    near = dist.argsort()[:8]
    w = 1.0 / dist[near]
    w = w / w.sum()
    expect = (w[:, None] * z[near]).sum(0)
    got = torch.tensor(d["latent"]).double()
    err = float((got - expect).abs().max())
    print(f"t-SNE drag: latent vs the inverse-distance convex combination of the 8 nearest: max abs error {err:.2e}")
    assert err < 1e-4
    pbar, total, alea, epi = bll(got)
    assert float((torch.tensor(d["probabilities"]).double() - pbar).abs().max()) < 1e-4
    bad = st("bad.json")
    assert "bad.csv:3" in bad["last_error"] and "oops" in bad["last_error"], bad["last_error"]
    assert bad["projection"] == "tsne"
    s = st("csv.json")
    assert s["projection"] == "csv" and len(s["errors"]) == len(bad["errors"]), s["errors"]
    assert torch.allclose(read_layout(f"{OUT}/csv_shown.csv"), read_layout(f"{OUT}/pca.csv"), atol=1e-5)


def case_fuzz():
    """A few thousand random script lines: random commands with random arguments (extreme numbers,
    NaN, bytes that are not UTF-8, huge words), run under Xvfb with a time limit. The window never
    exits early, every `state` it writes is valid JSON, and the last line still runs."""
    import random
    rng = random.Random(20261201)
    numbers = ["0", "1", "-1", "3", "0.5", "1e308", "-1e308", "1e-308", "nan", "inf", "-inf", "99999999999999999999",
               "4294967297", "1e30", "-0", "0x10", "1,5", "", "9999", "10000", "2.5e-7", "7" * 400]
    words = ["pca", "tsne", "umap", "csv", "label", "pred", "total", "aleatoric", "epistemic", "correct", "on", "off",
             "nowait", "rainbow", "\xff\xfe", "caf\xe9", "x" * 3000, "../..", "/dev/null", "/nonexistent/dir/f"]
    bad = "".join(chr(c) for c in range(1, 32) if c not in (10, 13))
    os.makedirs(f"{OUT}/fz", exist_ok=True)
    with open(f"{OUT}/fz/bad.csv", "w") as f:
        f.write("index,x,y\n0,1e39,1\n")
    with open(f"{OUT}/fz/garbage.json", "wb") as f:
        f.write(b"\xff\xfe{not json")
    os.mkfifo(f"{OUT}/fz/fifo")  # no writer: a reader that opened it plainly would hang
    # Devices, a pipe, and folders inside the bundle: every reader refuses the first two at once,
    # and no writer puts a file inside a bundle (checked at the end).
    paths = [f"{OUT}/fz/a", f"{OUT}/fz/b.json", f"{OUT}/fz/c.csv", f"{OUT}/fz/d.png", f"{OUT}/fz/bad.csv",
             f"{OUT}/fz/garbage.json", f"{OUT}/fz", "/nonexistent/x.json", "/dev/null", BUNDLE + "/manifest.json",
             "/dev/zero", f"{OUT}/fz/fifo", BUNDLE + "/cache/fz-x.json", BUNDLE + "/cache/fz-y.csv",
             BUNDLE + "/fz-z.png", BUNDLE + "/cache/fz-new/w.json"]

    def arg():
        r = rng.random()
        if r < 0.45: return rng.choice(numbers)
        if r < 0.75: return rng.choice(words)
        if r < 0.9: return rng.choice(paths)
        return "".join(rng.choice(bad + "abc\u00e9\udcff") for _ in range(rng.randint(1, 12)))

    commands = ["select", "drag", "color", "project", "filter", "zoom", "center", "fit", "caption", "undo", "snap",
                "state", "export-csv", "export-layout", "export-map", "export-inspector", "screenshot", "layout-csv",
                "session-save", "session-load", "wait", "cancel", "train", "frobnicate", "load", "train-model", "wait-for",
                "clue"]
    lines, states = [], 0
    for i in range(3000):
        c = rng.choice(commands)
        if c == "wait":
            line = f"wait {rng.choice(['0', '1', '2', '99999999999', '-3', 'x'])}"
        elif c == "wait-for":
            line = f"wait-for {rng.choice(paths)} {rng.choice(['0', '1', '-1', '1e9'])}"
        elif c == "load":
            line = f"load {rng.choice(['/nonexistent/bundle', OUT + '/fz', BUNDLE + '/cache', '/dev/null'])}"
        elif c == "train-model":  # never a valid one: nothing trains for minutes
            line = f"train-model {rng.choice(['/nonexistent/data', 'nope'])} {OUT}/fz/new epochs={rng.choice(numbers)}"
        elif c == "project":
            line = f"project {rng.choice(['pca', 'csv', 'tsne nowait', 'umap nowait', 'isomap'])}"
            if "nowait" in line:
                line += "\ncancel"
        elif c == "train":
            line = f"train {rng.choice(['off', 'off', 'on', 'maybe'])}"
        elif c == "clue":  # short runs of every method, and bad settings
            line = rng.choice(["clue steps=20", "clue method=vae-clue steps=5", "clue method=regene steps=20",
                               "clue method=class-change target=3 steps=20", "clue method=hierarchical outer_steps=2",
                               "clue lambda=1e9", "clue steps=1e99", "clue method=nope", "clue keep_class=maybe",
                               "clue method=class-change target=99", "clue method=class-change", "clue uncertainty=epistemic head=deterministic steps=20"])
        elif c == "state":
            line = f"state {OUT}/fz/state{states}.json"
            states += 1
        else:
            line = " ".join([c] + [arg() for _ in range(rng.randint(0, 3))])
        lines.append(line)
    lines += [f"state {OUT}/fz/final.json", "quit"]
    path = os.path.join(OUT, "fuzz.txt")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines) + "\n")
    p = run_gui(["--script", path], timeout=900)
    assert os.path.exists(f"{OUT}/fz/final.json"), "the script did not reach its last line"
    checked = 0
    for k in range(states):
        f = f"{OUT}/fz/state{k}.json"
        if os.path.exists(f):  # a state line may have been a target the script then replaced
            json.load(open(f))
            checked += 1
    final = json.load(open(f"{OUT}/fz/final.json"))
    print(f"fuzz: {len(lines)} lines, {checked} state files valid JSON, {len(final['errors'])} errors kept, "
          f"points {final['points']}")
    assert final["points"] == 10000 or final["points"] == 70000
    assert not os.path.exists("/dev/null") or not os.path.isfile("/dev/null"), "/dev/null was replaced"
    written = [os.path.join(r, n) for r, ds, fs in os.walk(BUNDLE) for n in fs + ds if n.startswith("fz-")]
    assert not written, f"written inside the bundle: {written}"
    # A shared script (no --allow-writes) that names ../x, an absolute path and an existing user
    # file gets only refusals; its own file goes into its --out-dir.
    sandbox = os.path.join(OUT, "sandbox")
    os.makedirs(sandbox)
    with open(os.path.join(OUT, "keep.txt"), "w") as f:
        f.write("the user's")
    with open(os.path.join(sandbox, "mine.json"), "w") as f:
        f.write("the user's too")
    path = script(["screenshot ../keep.txt", f"state {OUT}/keep.txt", "export-csv mine.json",
                   f"session-save {BUNDLE}/cache/s.json", "layout-csv /dev/zero", f"session-load {OUT}/fz/fifo",
                   "state mid.json", "wait-for mid.json 30", "state final.json", "quit"])
    t0 = time.time()
    run_gui(["--script", path, "--out-dir", sandbox], timeout=300)
    final = json.load(open(os.path.join(sandbox, "final.json")))
    print(f"fuzz: a shared script's writes: {len(final['errors'])} refusals in {time.time() - t0:.1f} s")
    # (wait-for finds mid.json in the output folder, where the script's own state went: no 7th error)
    assert len(final["errors"]) == 6, final["errors"]
    for e, line in zip(final["errors"], range(1, 7)):
        assert e.startswith(f"line {line}: "), final["errors"]
    assert open(os.path.join(OUT, "keep.txt")).read() == "the user's"
    assert open(os.path.join(sandbox, "mine.json")).read() == "the user's too"
    assert not os.path.exists(os.path.join(BUNDLE, "cache", "s.json"))


def case_clue():
    """Latent CLUE from an uncertain point with both heads: U falls at z*, the round trip is the real
    phi(g(z*)) (recomputed here with Python's torch), the map marker is z*'s PCA projection; the
    paths are placed again in t-SNE; class change raises the target's probability; VAE-CLUE runs."""
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    run_gui(["--script", script([
        "select 2245", "clue", f"state {OUT}/c1.json", f"screenshot {OUT}/c1.png",
        "project tsne", f"state {OUT}/c2.json",
        "project pca", "clue method=class-change target=8", f"state {OUT}/c3.json",
        "clue method=vae-clue steps=60", f"state {OUT}/c4.json",
        "clue method=nope", "clue method=class-change", f"state {OUT}/c5.json",
        f"clue-batch {OUT}/b1 20", f"wait-for {OUT}/b1/summary.json 300", "wait 5", f"state {OUT}/c6.json",
        f"clue-batch {OUT}/b2 3000 method=vae-clue", "wait 40", "cancel", f"state {OUT}/c7.json",
        f"clue-batch {OUT}/b3 lasso", f"state {OUT}/c8.json",
        "select 2245", "clue diverse=3 lambda=0.3", "wait 4", f"state {OUT}/c9.json", "clue-follow 3", f"state {OUT}/c10.json",
        "clue-follow 5", f"state {OUT}/c11.json", "ig path=clue target=total", f"state {OUT}/c12.json",
        "quit",
    ])], timeout=600)
    zall = torch.load(os.path.join(BUNDLE, "cache", "latents_test.pt"))
    z0 = zall[2245]
    _, total0, _, _ = bll(z0)
    assert total0 > 1.0, f"point 2245 should be uncertain (total {total0})"
    s = st("c1.json")["clue"]
    assert not s["running"] and s["error"] == "", s
    lap, det = s["laplace"], s["deterministic"]
    dec = torch.jit.load(os.path.join(BUNDLE, "decoder.pt"))
    clf = torch.jit.load(os.path.join(BUNDLE, "classifier.pt"))
    for r in (lap, det):
        assert r["method"] == "latent-clue" and r["trajectory_length"] > 10, r["trajectory_length"]
        assert r["u_latent"] < 0.5 * r["u_before"], (r["u_latent"], r["u_before"])
        assert min(r["z_star"]) >= 0.0, "z* left the encoder's range (z >= 0)"
        with torch.no_grad():
            zr = clf.encode(dec.decode(torch.tensor(r["z_star"])[None]))[0]
        if r["head"] == "laplace":
            _, u_rt, _, _ = bll(zr)
        else:
            p = torch.softmax(clf.classify(zr[None]).double(), -1)[0]
            u_rt = float(-(p * torch.log(p.clamp_min(1e-30))).sum())
        print(f"{r['head']}: U {r['u_before']:.4f} -> z* {r['u_latent']:.4f}, round trip {r['u_roundtrip']:.4f} "
              f"(recomputed {u_rt:.4f}), {r['trajectory_length']} points on the path")
        assert abs(r["u_roundtrip"] - u_rt) < 2e-3, "the reported round trip is not U(phi(g(z*)))"
    assert abs(lap["u_before"] - total0) < 1e-4
    axes, mean = pca_axes(zall)
    want = (torch.tensor(lap["z_star"]).double() - mean) @ axes.T
    got = torch.tensor(lap["final_position"]).double()
    assert float((want - got).abs().max()) < 2e-3, f"the map marker {got} is not z*'s PCA projection {want}"
    t = st("c2.json")
    assert t["projection"] == "tsne"
    tp = t["clue"]["laplace"]["final_position"]
    assert all(math.isfinite(v) for v in tp) and tp != lap["final_position"], "the path was not placed in t-SNE"
    c = st("c3.json")["clue"]["laplace"]
    print("class change to Bag:", c["target"])
    assert c["target"]["class"] == 8 and c["target"]["latent"] > c["target"]["before"]
    v = st("c4.json")["clue"]["laplace"]
    assert v["method"] == "vae-clue" and v["u_roundtrip"] < v["u_before"], v
    e = st("c5.json")
    assert any("method must be" in x for x in e["errors"]) and any("class-change needs target" in x for x in e["errors"]), e["errors"]
    # The batch run from the GUI: the 20 most uncertain test points under the Laplace head, written
    # like `latentlab explain`; a cancelled one leaves nothing; an empty lasso is refused.
    b = st("c6.json")["clue"]["batch"]
    assert not b["running"] and b["error"] == "" and b["summary"]["n_points"] == 20, b
    with torch.no_grad():
        lap = torch.jit.load(os.path.join(BUNDLE, "laplace.pt"))
        pbar = torch.softmax(lap.sample_logits(zall.float()).double(), -1).mean(0)  # [N, K]
        totals = -(pbar * torch.log(pbar.clamp_min(1e-30))).sum(-1)
    want = set(torch.argsort(totals, descending=True)[:20].tolist())
    rows = open(os.path.join(OUT, "b1", "points.csv")).read().splitlines()[1:]
    got = {int(r.split(",")[0]) for r in rows}
    print(f"batch: {len(got)} points written, {len(got & want)} of them among the 20 most uncertain")
    # The same set, up to float ties at the 20th place.
    assert len(rows) == 20 and float(totals[list(got)].min()) >= float(totals.sort(descending=True).values[19]) - 1e-5
    assert b["summary"]["u_latent"] < b["summary"]["u_before"]
    assert len(os.listdir(os.path.join(OUT, "b1", "filmstrips"))) == 20
    s7 = st("c7.json")
    c7 = s7["clue"]["batch"]
    left = [n for n in os.listdir(OUT) if "b2" in n]
    job = [j for j in s7["jobs"] if j["name"].startswith("explain (vae-clue")][-1]
    print("cancelled batch left:", left, "; running:", c7["running"], "; its job:", job)
    assert not c7["running"] and left == [] and job["cancelled"] and job["finished"], left
    c8 = st("c8.json")
    assert "lasso selection holds no test points" in c8["clue"]["batch"]["error"], c8["clue"]["batch"]
    # diverse=3: three Laplace counterfactuals from the point, each starting at its latent, each
    # lowering U, pushed apart; the scrubber follows the one asked for.
    c9 = st("c9.json")["clue"]
    runs = c9["diverse"]
    assert len(runs) == 3 and "laplace" not in c9 and "deterministic" not in c9 and c9["following"] == 1, c9.keys()
    for r in runs:
        assert r["head"] == "laplace" and torch.allclose(torch.tensor(r["z0"]), z0, atol=1e-6)
        assert r["u_latent"] < r["u_before"], (r["u_latent"], r["u_before"])
    pair = float((torch.tensor(runs[0]["z_star"]) - torch.tensor(runs[1]["z_star"])).abs().mean())
    print(f"diverse: U {[round(r['u_latent'], 4) for r in runs]}, |z*_1 - z*_2|_1 / d = {pair:.3f}, "
          f"diversity {c9['diversity']}")
    assert c9["diversity"]["k"] == 3 and abs(c9["diversity"]["latent"] - pair) < 0.5 * pair + 1e-6 and pair > 0.05
    c10 = st("c10.json")["clue"]
    assert c10["following"] == 3
    step = c10["scrub"]
    assert step == len(runs[2]["path_u"]) - 1 and torch.allclose(
        torch.tensor(c10["scrub_latent"]), torch.tensor(runs[2]["z_star"]), atol=1e-6), "clue-follow 3 did not follow #3"
    assert any("there are 3 diverse counterfactuals" in x for x in st("c11.json")["errors"])
    # IG along the followed diverse path runs from its z* (the path's last point) back to z0.
    at = st("c12.json")["attribution"]
    print(f"ig along diverse path #3: U(x) {at['f_input']:.4f}, U(g(z*)) {at['f_baseline']:.4f} "
          f"(its round trip {runs[2]['u_roundtrip']:.4f}), residual {at['completeness_residual']:.4f}")
    assert at["path"] == "clue" and abs(at["f_baseline"] - runs[2]["u_roundtrip"]) < 1e-3
    assert abs(at["f_input"] - runs[2]["u_before"]) < 1e-3


def case_clue_nudge():
    """Pause a counterfactual path, drag its white dot with the mouse (xdotool), and continue: the
    release keeps the step's latent moved by the PCA inverse of the pixels dragged as an edited
    point, and the next run starts from exactly that latent."""
    m = MouseSession(["select 2245", "clue", "wait 150"], 1, [f"clue", f"state {OUT}/s2.json"])
    try:
        s0 = m.state(0)
        c0 = s0["clue"]
        assert not c0["playing"] and not c0["running"], "the playback did not end in 150 frames"
        to_screen, to_data = map_coords(s0)
        v, r = s0["view"], s0["map_rect"]
        X, Y = to_screen(*c0["scrub_position"], v)
        print(f"the shown step {c0['scrub']} is at window pixel ({X:.1f}, {Y:.1f})")
        assert r["left"] + 20 < X < r["left"] + r["width"] - 80 and r["top"] + 60 < Y < r["top"] + r["height"] - 80
        m.move(X - 30, Y - 30)
        m.move(X, Y)
        m.xdo("mousedown", 1)
        for k in range(1, 11):
            m.move(X + 5 * k, Y - 3 * k)
        m.xdo("mouseup", 1)
        s1 = m.go(1)
        print("after the drag:", s1["edited_points"], s1["selected_edited"], s1["clue"]["nudged_edited"], s1["selected"])
        assert s1["edited_points"] == 1 and s1["selected_edited"] == 0 and s1["clue"]["nudged_edited"] == 0
        axes = torch.tensor(s0["pca"]["axes"]).double().reshape(2, -1)
        zs = torch.tensor(c0["scrub_latent"]).double()
        zall = torch.load(os.path.join(BUNDLE, "cache", "latents_test.pt")).double()
        tx, ty = to_data(round(X + 50), round(Y - 30), v)
        sx, sy = c0["scrub_position"]
        expect = torch.clamp(zs + (tx - sx) * axes[0] + (ty - sy) * axes[1], zall.min(0).values, zall.max(0).values)
        got = torch.tensor(s1["latent"]).double()
        err = float((got - expect).abs().max())
        print(f"nudge: latent vs the PCA inverse of the pixels moved from the step: max abs error {err:.2e}")
        assert err < 1e-3 and float((got - zs).abs().max()) > 0.05
        # s2.json is written once the continued run has ended: wait for the app to finish (under
        # load the run can outlast the checks above).
        assert m.app.wait(timeout=300) == 0
        s2 = json.load(open(f"{OUT}/s2.json"))["clue"]
        z0 = torch.tensor(s2["laplace"]["z0"]).double()
        print(f"continue: the new run starts {float((z0 - got).abs().max()):.2e} from the nudged latent")
        assert s2["from_point"] == -1 and float((z0 - got).abs().max()) < 1e-6
    finally:
        m.close()


def case_ig():
    """Integrated gradients from the Attribution tab: the map equals IG recomputed here with Python's
    torch (64 midpoint steps from black, p-bar of class 3 through the Laplace bank); scrub 0.5 shows
    x/2 and F at node 31; a bad combination is refused; the path survives a projection change."""
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    run_gui(["--script", script([
        "select 2245", "ig target=class:3 steps=64", f"state {OUT}/a1.json", "scrub 0.5", f"state {OUT}/a2.json",
        f"screenshot {OUT}/a2.png", "ig target=epistemic head=deterministic", f"state {OUT}/a3.json",
        "project tsne", f"state {OUT}/a4.json", "project pca",
        "clue", "ig path=clue target=total steps=64", f"state {OUT}/a5.json",
        "drag 3 2", "ig path=drag target=total", f"state {OUT}/a6.json",
        "ig target=total", "saliency on", "select 17", "drag -2 1", f"state {OUT}/a7.json", "quit",
    ])], timeout=600)
    a = st("a1.json")["attribution"]
    assert a["error"] == "" and a["steps"] == 64 and a["target"] == "class:3", a.get("error")
    clf = torch.jit.load(os.path.join(BUNDLE, "classifier.pt"))
    lap = torch.jit.load(os.path.join(BUNDLE, "laplace.pt"))
    x = fashion_test_image(2245)[0]  # [1, 28, 28] in [0, 1]

    def F(xs):
        p = torch.softmax(lap.sample_logits(clf.encode(xs)).double(), -1).mean(0)  # [n, K]
        return p[:, 3]
    alphas = (torch.arange(64, dtype=torch.float32) + 0.5) / 64
    xs = (alphas.view(-1, 1, 1, 1) * x[None]).requires_grad_(True)
    g = torch.autograd.grad(F(xs).sum(), xs)[0]
    ig = (x * g.mean(0)).flatten()
    got = torch.tensor(a["attribution"])
    err = float((got - ig.float()).abs().max())
    print(f"ig: map vs Python's IG: max abs error {err:.2e} (max |IG| {float(ig.abs().max()):.3e}); "
          f"residual {a['completeness_residual']:.4f}")
    assert err < 1e-5 + 1e-3 * float(ig.abs().max())
    gap = a["f_input"] - a["f_baseline"]
    assert abs(abs(a["sum_attribution"] - gap) / abs(gap) - a["completeness_residual"]) < 1e-6
    assert a["path_points"] == 64
    b = st("a2.json")["attribution"]
    assert b["alpha"] == 0.5 and b["node"] == 31, (b["alpha"], b["node"])
    xa = torch.tensor(b["input_at_alpha"])
    assert float((xa - 0.5 * x.flatten()).abs().max()) < 1e-6, "the scrubbed input is not x' + 0.5 (x - x')"
    with torch.no_grad():
        f31 = float(F((alphas[31] * x)[None])[0])
    assert abs(b["f_alpha"] - f31) < 1e-4, (b["f_alpha"], f31)
    check_shows_points(os.path.join(OUT, "a2.png"))
    c = st("a3.json")
    assert any("no epistemic" in e for e in c["errors"]), c["errors"]
    d = st("a4.json")
    assert d["projection"] == "tsne" and d["attribution"]["path_points"] == 64
    # Perez et al. along the CLUE path: F(x) is U before, F(g(z*)) the round trip's U (both from the
    # CLUE run), the map sums to their difference up to the reported residual; the deterministic
    # head beside it.
    e = st("a5.json")
    at, cl = e["attribution"], e["clue"]["laplace"]
    print(f"latent path (CLUE): U(x) {at['f_input']:.4f} (CLUE u_before {cl['u_before']:.4f}), U(g(z*)) "
          f"{at['f_baseline']:.4f} (round trip {cl['u_roundtrip']:.4f}), sum {at['sum_attribution']:.4f}, "
          f"residual {at['completeness_residual']:.4f}; deterministic residual {at['deterministic']['completeness_residual']:.4f}")
    assert at["path"] == "clue" and at["decoded_nodes"] == cl["steps"]
    assert abs(at["f_input"] - cl["u_before"]) < 1e-3 and abs(at["f_baseline"] - cl["u_roundtrip"]) < 1e-3
    assert at["completeness_residual"] < 0.05 and at["deterministic"]["completeness_residual"] < 0.05
    f = st("a6.json")["attribution"]
    print(f"latent path (drag): sum {f['sum_attribution']:.4f}, residual {f['completeness_residual']:.4f}, "
          f"steps tried {f['steps_tried']}")
    # (each doubling also halves the decoded path's pieces: 64 drag nodes, then 128, 256, ...)
    assert f["path"] == "drag" and f["steps_rule"] == "adaptive" and f["decoded_nodes"] >= 64
    assert f["completeness_residual"] <= 0.01 and f["tolerance_met"], f["completeness_residual"]
    # The default (adaptive) steps: doubled from 32 until the residual is within 1%, and said so.
    ad = st("a7.json")["attribution"]
    assert ad["steps_rule"] == "adaptive" and ad["steps_tried"][0][0] == 32, ad.get("steps_tried")
    assert ad["completeness_residual"] <= 0.01 and ad["tolerance_met"], ad["completeness_residual"]
    # Live saliency: after a drag, the inspector's map is dF/dx of total U (Laplace bank) at the
    # decoded image g(z), recomputed here.
    g = st("a7.json")
    dec = torch.jit.load(os.path.join(BUNDLE, "decoder.pt"))
    with torch.no_grad():
        xg = dec.decode(torch.tensor(g["latent"])[None])[0]
    xg = xg.clone().requires_grad_(True)
    p = torch.softmax(lap.sample_logits(clf.encode(xg[None])).double(), -1).mean(0)[0]
    u = -(p * torch.log(p.clamp_min(1e-30))).sum()
    want = torch.autograd.grad(u, xg)[0].flatten()
    sal = torch.tensor(g["saliency"])
    serr = float((sal - want.float()).abs().max())
    print(f"live saliency: dU/dx at g(z) vs Python: max abs error {serr:.2e} (max |grad| {float(want.abs().max()):.3e}), "
          f"{g['saliency_ms']:.1f} ms of the update")
    assert g["selected_edited"] >= 0 and serr < 1e-5 + 1e-3 * float(want.abs().max())


def case_flip():
    """DVAE bit flips from the Concepts tab: the code of point 5 is the DVAE's bits of its latent
    (recomputed here with Python's torch); flip 3 changes exactly bit 3, makes an edited point at
    D(b xor e_3) whose probabilities are the BLL's there; flipping it back restores the code and the
    latent; a bit out of range is refused naming it."""
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    run_gui(["--script", script([
        "select 5", "tab Concepts", f"state {OUT}/f0.json", "flip 3", f"state {OUT}/f1.json", f"screenshot {OUT}/f1.png",
        "flip 3", f"state {OUT}/f2.json", "flip 16", "tab Nope", f"state {OUT}/f3.json", "quit",
    ])])
    clf = torch.jit.load(os.path.join(BUNDLE, "classifier.pt"))
    dvae = torch.jit.load(os.path.join(BUNDLE, "dvae.pt"))
    f0, f1, f2, f3 = (st(f"f{i}.json") for i in range(4))
    with torch.no_grad():
        z = clf.encode(fashion_test_image(5))
        want = [int(v) for v in dvae.bits(z)[0]]
    b0 = f0["concepts"]["bits"]
    assert b0 == want, (b0, want)
    b1 = f1["concepts"]["bits"]
    assert [i for i in range(16) if b0[i] != b1[i]] == [3], (b0, b1)
    assert f1["concepts"]["active"] and f1["selected_edited"] >= 0 and f1["concepts"]["base"] == b0
    with torch.no_grad():
        psi = dvae.decode(torch.tensor(b1, dtype=torch.float32)[None])[0]
    lat = torch.tensor(f1["latent"])
    assert float((lat - psi).abs().max()) < 1e-5, "the flipped point is not D(b xor e_3)"
    pbar, total, alea, epi = bll(psi)
    assert float((torch.tensor(f1["probabilities"]) - pbar.float()).abs().max()) < 1e-4
    assert abs(f1["uncertainty"]["total"] - total) < 1e-4 and abs(f1["uncertainty"]["epistemic"] - epi) < 1e-4
    print(f"flip: code {''.join(map(str, b0))} -> bit 3 -> {''.join(map(str, b1))}: {f0['prediction']} -> "
          f"{f1['prediction']}, total U {f1['uncertainty']['total']:.4f}, concepts {f1['concepts']['ms']:.1f} ms")
    assert f2["concepts"]["bits"] == b0 and f2["selected_edited"] == f1["selected_edited"]
    with torch.no_grad():
        phi1 = dvae.decode(torch.tensor(b0, dtype=torch.float32)[None])[0]
    assert float((torch.tensor(f2["latent"]) - phi1).abs().max()) < 1e-5
    assert any("bit 16 is outside 0..15" in e for e in f3["errors"]), f3["errors"]
    assert any("no tab 'Nope'" in e for e in f3["errors"]), f3["errors"]
    assert f3["concepts"]["bits"] == b0
    check_shows_points(os.path.join(OUT, "f1.png"))


def fashion_train_images():
    """All 60,000 training images of Fashion-MNIST, [60000, 1, 28, 28] in [0, 1], and their labels."""
    with gzip.open("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") as f:
        data = f.read()
    magic, n, h, w = struct.unpack(">IIII", data[:16])
    assert magic == 2051
    x = torch.frombuffer(bytearray(data[16:16 + n * h * w]), dtype=torch.uint8).reshape(n, 1, h, w).float() / 255.0
    with gzip.open("/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz") as f:
        lab = f.read()
    return x, torch.frombuffer(bytearray(lab[8:8 + n]), dtype=torch.uint8).long()


def case_examples():
    """The Examples tab (Crabbé and van der Schaar 2022): DKNN of point 3 over the 60,000 training latents. Its top example
    is the training image nearest in latent space (recomputed here with Python's torch from the
    images) and its score 1 / that distance; `example top 0` selects that training point on the
    map; SimplEx's weights are >= 0 and the best is in its corpus; bad settings are refused."""
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    run_gui(["--script", script([
        "select 3", "tab Examples", "examples dknn", f"state {OUT}/e1.json", "example top 0", f"state {OUT}/e2.json",
        f"screenshot {OUT}/e2.png", "select 3", "examples simplex corpus=500", f"state {OUT}/e3.json",
        "example top 999", f"state {OUT}/e4.json", "quit",
    ])], timeout=600)
    e1, e2, e3, e4 = (st(f"e{i}.json") for i in range(1, 5))
    # Lines a script refuses when it is read (each names its value), in a run of their own: the
    # error dialog they open would cover the map of the screenshot above.
    run_gui(["--script", script(["examples simplex corpus=0", "examples knn", "example middle 0", f"state {OUT}/e5.json", "quit"])])
    e5 = st("e5.json")
    run = e1["examples"]["run"]
    assert run["method"] == "dknn" and run["from_point"] == 3 and run["scored"] == 60000, run
    clf = torch.jit.load(os.path.join(BUNDLE, "classifier.pt"))
    xs, labels = fashion_train_images()
    with torch.no_grad():
        z = clf.encode(fashion_test_image(3))[0]
        d = torch.cat([(clf.encode(xs[i:i + 4096]) - z).norm(dim=1) for i in range(0, len(xs), 4096)])
    best = int(d.argmin())
    top = run["top"][0]
    assert top["index"] == best, (top, best, float(d[best]))
    assert abs(top["score"] - 1.0 / float(d[best])) < 1e-3 * top["score"], (top["score"], 1.0 / float(d[best]))
    assert top["label"] == int(labels[best]) and top["point"] == 10000 + best
    scores = [t["score"] for t in run["top"]] + [b["score"] for b in run["bottom"]][::-1]
    assert scores == sorted(scores, reverse=True), "the top and bottom examples are not in order"
    assert e2["selected"] == top["point"], (e2["selected"], top["point"])
    assert e2["examples"]["run"]["from_point"] == 3, "a click on an example must not replace the list"
    sx = e3["examples"]["run"]
    assert sx["method"] == "simplex" and sx["scored"] == 500 and all(t["score"] >= 0 for t in sx["top"]), sx
    assert sx["top"][0]["score"] >= sx["top"][-1]["score"]
    assert any("rank 999 is outside 0..127" in e for e in e4["errors"]), e4["errors"]
    errs = " | ".join(e5["errors"])
    assert "corpus must be at least 1" in errs and "dknn, simplex or tracin" in errs and "top or bottom" in errs, errs
    print(f"examples: DKNN top {best} (label {top['label']}, 1/d {top['score']:.4f}) in {run['ms']:.1f} ms; "
          f"SimplEx top {sx['top'][0]['index']} w {sx['top'][0]['score']:.3f}, residual {sx['residual']:.3f}")


def fashion_test_uncertainty(bundle=BUNDLE):
    """The BLL's predictions and total, aleatoric and epistemic U (nats) of all 10,000 test images,
    computed here from the bundle's TorchScript files."""
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        data = f.read()
    x = torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).float().reshape(-1, 1, 28, 28) / 255.0
    clf = torch.jit.load(os.path.join(bundle, "classifier.pt"))
    lap = torch.jit.load(os.path.join(bundle, "laplace.pt"))
    with torch.no_grad():
        z = torch.cat([clf.encode(x[i:i + 2000]) for i in range(0, len(x), 2000)])
        ps = torch.softmax(lap.sample_logits(z.float()).double(), -1)  # [S, N, K]
    pbar = ps.mean(0)
    ent = lambda p: -(p * torch.log(p.clamp_min(1e-30))).sum(-1)
    total, alea = ent(pbar), ent(ps).mean(0)
    return pbar.argmax(-1), total, alea, total - alea


def case_scales():
    """The colour scales, the inspector's bars and the selection summary, against the uncertainty
    of every test point recomputed here: each mode's scale runs from its 1st to its 99th percentile
    (log when skewed), the three bars share one scale (ln K) with the right percentiles, and a
    selection's summary counts its classes and averages its uncertainties."""
    st = lambda name: json.load(open(os.path.join(OUT, name)))
    run_gui(["--script", script([
        "color epistemic", "select 2245", f"state {OUT}/s1.json", f"screenshot {OUT}/s1.png",
        "filter pred=6", "select-matches", f"state {OUT}/s2.json", "legend off", "fit", f"state {OUT}/s3.json", "quit"])])
    s1, s2, s3 = st("s1.json"), st("s2.json"), st("s3.json")
    pred, total, alea, epi = fashion_test_uncertainty()
    for name, v in (("total", total), ("aleatoric", alea), ("epistemic", epi)):
        sc = s1["color_scales"][name]
        p1, p50, p99 = (float(torch.quantile(v, q)) for q in (0.01, 0.5, 0.99))
        assert abs(sc["hi"] - p99) <= 2e-3 * p99 + 1e-6, (name, sc, p99)
        skewed = p50 - p1 < 0.1 * (p99 - p1)
        assert sc["log"] == skewed, (name, sc, p1, p50, p99)
        lo = max(p1, 1e-3 * p99) if skewed else p1
        assert abs(sc["lo"] - lo) <= 2e-3 * abs(lo) + 1e-6, (name, sc, lo)
        above = int((v > sc["hi"]).sum())
        assert abs(sc["above"] - above) <= 3, (name, sc["above"], above)
        print(f"scales: {name}: {sc['lo']:.4g}..{sc['hi']:.4g} nats{' (log)' if sc['log'] else ''}, {above} above")
    bars = s1["uncertainty_bars"]
    lnK = math.log(10)
    assert abs(bars["full_scale"] - lnK) < 1e-6 and bars["unit"] == "nats"
    for name, v in (("total", total), ("aleatoric", alea), ("epistemic", epi)):
        b = bars[name]
        assert abs(b["fraction"] - b["value"] / lnK) < 1e-6, (name, b)  # one scale for all three
        assert abs(b["value"] - float(v[2245])) < 2e-3 + 2e-3 * float(v[2245]), (name, b, float(v[2245]))
        pct = 100.0 * float((v < b["value"]).double().mean())
        assert abs(b["percentile"] - pct) < 0.5, (name, b, pct)
    assert abs(bars["total"]["value"] - bars["aleatoric"]["value"] - bars["epistemic"]["value"]) < 1e-4
    m = s2["selection_summary"]
    sel = (pred == 6).nonzero().flatten()
    assert abs(m["count"] - len(sel)) <= 3 and m["by_prediction"][6] == m["count"] and m["train"] == 0, m
    assert s2["selection_count"] == m["count"]
    assert abs(m["mean_total"] - float(total[sel].mean())) < 5e-3, (m["mean_total"], float(total[sel].mean()))
    assert abs(m["mean_epistemic"] - float(epi[sel].mean())) < 5e-3
    assert sum(m["by_label"]) == m["count"] and s2["filter_summary"]["count"] == m["count"]
    # Without the legend a fit uses the whole width: the view is wider than with it.
    assert s3["legend_collapsed"] and not s1["legend_collapsed"]
    print(f"scales: selection pred=6: {m['count']} points, accuracy {m['correct'] / m['count']:.3f}, "
          f"mean total {m['mean_total']:.3f} nats")


def case_demos():
    """Every shipped demo tells the truth: each caption is followed by `expect` lines that state its
    facts (the colour mode, the predicted class, an uncertainty above a threshold...), and the app
    checks them against its state after the caption's action and wait. The demo runs with its
    waits cut to one frame; any false fact is an error in the final state."""
    demo_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "demos")
    demos = sorted(f for f in os.listdir(demo_dir) if f.endswith(".txt"))
    assert len(demos) >= 5, demos
    for name in demos:
        text = open(os.path.join(demo_dir, name)).read()
        lines = [l.strip() for l in text.splitlines()]
        # Each caption states at least one fact before the next caption (or the end).
        caption, facts, captions = None, 0, 0
        for l in lines + ["caption"]:
            if l.startswith("caption"):
                if caption is not None:
                    assert facts > 0, f"{name}: the caption '{caption[:60]}' has no expect line"
                caption, facts = l[8:], 0
                captions += 1
            elif l.startswith("expect "):
                facts += 1
        assert captions > 3, f"{name}: {captions - 1} captions"
        bundle = BUNDLE
        if "assets/models/mnist" in text:
            bundle = os.path.join(os.path.dirname(BUNDLE), "mnist")
        if "assets/models/emoji" in text:
            bundle = os.path.join(os.path.dirname(BUNDLE), "emoji")
        fast = [("wait 1" if l.startswith("wait ") else l) for l in lines if l and not l.startswith("#")]
        path = os.path.join(OUT, "demo_" + name)
        with open(path, "w") as f:
            f.write("\n".join(fast + ["state demo.json", "quit"]) + "\n")
        # As a teacher runs a shared demo: its writes kept to the output folder.
        out_dir = os.path.join(OUT, "out_" + name)
        cmd = ["bash", XRUN, f"{W}x{H}x24", EXE, "gui", bundle, "--size", f"{W}x{H}", "--script", path,
               "--out-dir", out_dir]
        # From the repository's root, as the demos' headers run them (a demo's image paths are relative).
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=800,
                           cwd=os.path.join(demo_dir, "..", ".."))
        assert p.returncode == 0, (name, p.stdout[-2000:], p.stderr[-2000:])
        st = json.load(open(os.path.join(out_dir, "demo.json")))
        assert st["errors"] == [], f"{name}: " + " | ".join(st["errors"])
        n_expect = sum(1 for l in fast if l.startswith("expect "))
        print(f"demos: {name}: {captions - 1} captions, {n_expect} facts checked on {os.path.basename(bundle)}")
    # Loading the same bundle again without its training points: the selection and the lasso that
    # pointed at training points are dropped (this crashed: an index past the new table).
    mnist = os.path.join(OUT, "mnist.bundle")
    shutil.copytree(os.path.join(os.path.dirname(BUNDLE), "mnist"), mnist)
    path = script(["train on", "select 2500", "filter wrong", "select-matches", "train off", f"load {mnist}", "wait 3",
                   f"state {OUT}/reload.json", "quit"])
    cmd = ["bash", XRUN, f"{W}x{H}x24", EXE, "gui", mnist, "--size", f"{W}x{H}", "--script", path, "--allow-writes"]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=600)
    assert p.returncode == 0, (p.returncode, p.stderr[-2000:])
    st = json.load(open(os.path.join(OUT, "reload.json")))
    assert st["points"] == 2000 and st["selected"] == -1, (st["points"], st["selected"])
    assert all(i < 2000 for i in st["selection"]) and st["selection_count"] == st["selection_summary"]["count"], st["selection"]
    # The check itself can fail: a false fact is reported with what the state holds.
    run_gui(["--script", script(["color total", "expect color == label", "expect color_scales.total.hi > 1e9",
                                 f"state {OUT}/neg.json", "quit"])])
    errs = json.load(open(os.path.join(OUT, "neg.json")))["errors"]
    assert len(errs) == 2 and "it is total" in errs[0], errs


def parse_frames_csv(path):
    import csv
    with open(path) as f:
        return list(csv.DictReader(f))


def case_record():
    """Record a session of real GUI input (xdotool on an Xvfb of our own): a click that selects, a
    drag, a wheel zoom, a colour change (the C key) and a caption typed into the recording bar.
    Replaying the recording from a fresh window reaches the same state (latents within 1e-5). Then a
    recording whose process is killed leaves a complete script, never a truncated one."""
    import time
    rec = os.path.join(OUT, "demo.txt")
    m = MouseSession([], 5, args=["--record", rec])
    xdo, move, go = m.xdo, m.move, m.go

    def press(key):  # held as a hand would: ImGui 1.86 misses a press and release in one frame
        xdo("keydown", key)
        time.sleep(0.12)
        xdo("keyup", key)
        time.sleep(0.2)
    try:
        s0 = m.state(0)
        assert s0["recording"] and s0["recording"]["path"] == rec, s0["recording"]
        i, X, Y, f = isolated_point(s0)
        move(X - 30, Y - 30)
        move(X, Y)
        xdo("click", 1)
        s = go(1)
        assert s["selected"] == i, s["selected"]
        xdo("mousedown", 1)
        time.sleep(0.1)
        for k in range(1, 11):
            move(X + 7 * k, Y - 3 * k)
        time.sleep(0.2)
        xdo("mouseup", 1)
        s = go(2)
        assert s["edited_points"] == 1, s["edited_points"]
        r = s0["map_rect"]
        move(r["left"] + r["width"] * 0.5, r["top"] + r["height"] * 0.6)
        xdo("click", 4)
        time.sleep(0.15)
        xdo("click", 4)
        time.sleep(0.2)
        press("c")
        s = go(3)
        assert s["color"] != "label", s["color"]
        press("Return")  # Enter puts the cursor in the recording bar's caption box
        xdo("type", "--delay", "40", "Look here")
        time.sleep(0.2)
        press("Return")
        s = go(4)
        assert s["caption"] == "Look here", s["caption"]
        time.sleep(0.5)  # the zoom settles (0.3 s) before the recording ends
        orig = go(5)
        assert m.app.wait(timeout=120) == 0
    finally:
        m.close()
    text = open(rec).read()
    lines = [l for l in text.splitlines() if l and not l.startswith("#")]
    print("recorded:", " | ".join(lines))
    for word in ("select", "drag", "zoom", "color", "caption Look here"):
        assert any(l.startswith(word) for l in lines), f"no {word} line in the recording"
    # Replay in a fresh window, from the same bundle.
    final = os.path.join(OUT, "replay.json")
    run_gui(["--script", script(lines + [f"state {final}", "quit"])])
    rep = json.load(open(final))
    assert rep["errors"] == [], rep["errors"]
    for key in ("selected", "selected_edited", "edited_points", "color", "caption", "projection", "points"):
        assert rep.get(key) == orig.get(key), (key, rep.get(key), orig.get(key))
    lat = float((torch.tensor(rep["latent"]) - torch.tensor(orig["latent"])).abs().max())
    print(f"replay: latent max abs difference {lat:.2e}; view {rep['view']} vs {orig['view']}")
    assert lat < 1e-5, lat
    assert max(abs(a - b) for a, b in zip(rep["position"], orig["position"])) < 1e-4, (rep["position"], orig["position"])
    for k in ("x", "y", "scale"):
        assert abs(rep["view"][k] - orig["view"][k]) <= 1e-6 * max(1.0, abs(orig["view"][k])), (k, rep["view"], orig["view"])
    # A recording killed mid-way: the file on disk is always a whole script.
    rec2 = os.path.join(OUT, "killed.txt")
    app = subprocess.Popen(["bash", XRUN, f"{W}x{H}x24", EXE, "gui", BUNDLE, "--size", f"{W}x{H}",
                            "--record", rec2, "--allow-writes", "--script",
                            script(["color total", "wait 2", "select 3", "wait 2", "caption one", "wait 2", "zoom 2",
                                    "wait 30", "color epistemic", "wait 100000"])],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    t0 = time.time()
    try:
        while not (os.path.exists(rec2) and "color epistemic" in open(rec2).read()):
            assert time.time() - t0 < 300 and app.poll() is None, "the recording did not reach color epistemic"
            time.sleep(0.05)
    finally:  # also when the wait fails: the app would run on beside later tests
        os.killpg(app.pid, 9)
        app.wait()
    killed = open(rec2).read()
    assert killed.endswith("\n"), killed[-100:]
    got = [l for l in killed.splitlines() if l and not l.startswith("#")]
    assert got[-1] == "color epistemic" and "caption one" in got and "select 3" in got, got
    run_gui(["--script", script(got + [f"state {OUT}/k.json", "quit"])])
    assert json.load(open(f"{OUT}/k.json"))["errors"] == []
    print(f"killed recording: {len(got)} whole lines")


def case_frames():
    """--frames: the number of frames is the script's length at --fps; the frames of a drag move
    from its start to its end; bad folders, fps and sizes are refused, naming the value."""
    fps, size = 20, "640x400"
    path = script(["caption A trouser", "select 5", "wait 30", "caption Dragged", "drag 4 2 20", "wait 15"])
    out = os.path.join(OUT, "frames")
    cmd = ["bash", XRUN, f"{W}x{H}x24", EXE, "gui", BUNDLE, "--script", path, "--frames", out,
           "--fps", str(fps), "--size", size]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    want = round(30 * fps / 60) + round(20 * fps / 60) + round(15 * fps / 60)
    pngs = sorted(n for n in os.listdir(out) if n.endswith(".png"))
    rows = parse_frames_csv(os.path.join(out, "frames.csv"))
    print(f"frames: {len(pngs)} written, {want} expected")
    assert len(pngs) == want == len(rows), (len(pngs), want, len(rows))
    h, w = read_png(os.path.join(out, pngs[0])).shape[:2]
    assert (w, h) == (640, 400), (w, h)
    drag = [r for r in rows if r["dragging"] == "1"]
    assert len(drag) == round(20 * fps / 60), len(drag)
    start = [r for r in rows if r["dragging"] == "0"][0]
    end = rows[-1]
    xs = [float(start["point_x"])] + [float(r["point_x"]) for r in drag]
    assert all(a < b for a, b in zip(xs, xs[1:])), xs  # moves right every frame
    for r in drag:
        for k in ("point_x", "point_y"):
            lo, hi = sorted((float(start[k]), float(end[k])))
            assert lo - 1e-6 <= float(r[k]) <= hi + 1e-6, (k, r[k], lo, hi)
    assert rows[0]["caption"] == "A trouser" and drag[0]["caption"] == "Dragged"
    # Bad input: each refused before a window opens, with the value named.
    for args, words in ((["--frames", out], [out, "not empty", "--force"]),
                        (["--frames", out + "2", "--fps", "0"], ["--fps 0"]),
                        (["--frames", out + "3", "--size", "0x0"], ["'0x0'"]),
                        (["--frames", out + "4", "--size", "-640x400"], ["'-640x400'"])):
        q = subprocess.run([EXE, "gui", BUNDLE, "--script", path, *args], capture_output=True, text=True, timeout=60)
        assert q.returncode != 0 and all(wd in q.stderr for wd in words), (args, q.returncode, q.stderr)
    # --force writes into it again, and the old frames do not linger. A link planted at a frame's
    # name is replaced by the frame; the file it named is untouched.
    victim = os.path.join(OUT, "victim.txt")
    with open(victim, "w") as f:
        f.write("precious")
    os.remove(os.path.join(out, "frame_000001.png"))
    os.symlink(victim, os.path.join(out, "frame_000001.png"))
    p = subprocess.run(cmd[:-4] + ["--fps", "6", "--size", size, "--force"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    n6 = len([n for n in os.listdir(out) if n.endswith(".png")])
    assert n6 == round(30 * 6 / 60) + round(20 * 6 / 60) + round(15 * 6 / 60), n6
    assert open(victim).read() == "precious" and not os.path.islink(os.path.join(out, "frame_000001.png"))
    # A failed export (a false expect) leaves no frames.csv, the mark of a complete one.
    bad = script(["select 5", "wait 30", "expect prediction_class == 99", "wait 10"])
    failed = os.path.join(OUT, "failed-frames")
    p = subprocess.run(["bash", XRUN, f"{W}x{H}x24", EXE, "gui", BUNDLE, "--script", bad, "--frames", failed,
                        "--fps", "6", "--size", size], capture_output=True, text=True, timeout=600)
    assert p.returncode != 0 and not os.path.exists(os.path.join(failed, "frames.csv")), (p.returncode, p.stderr[-1000:])


{"record": case_record, "frames": case_frames, "clue": case_clue, "examples": case_examples, "demos": case_demos, "scales": case_scales, "clue_nudge": case_clue_nudge, "ig": case_ig, "flip": case_flip, "drag": case_drag, "bad_script": case_bad_script, "fuzz": case_fuzz, "screenshot": case_screenshot, "train": case_train,
 "mouse": case_mouse, "project": case_project}[CASE]()
shutil.rmtree(OUT)
print(f"gui_test {CASE}: ok")

#!/usr/bin/env python3
"""PyTorch reference for tests/bench/bench-cpu.c: the same workloads on the
same machine, written the way a PyTorch user would, so that nulltool's CPU
speed can be compared side by side (issue 7). A benchmark, never a
dependency of nulltool: run by 'make bench' with Debian's python3-torch.

  (a) training: the study's cnn, batch 32 of random MNIST training digits
      (no repeats inside a batch), Adam lr 1e-3, dropout on, cross-entropy;
  (b1) source selection as nulltool's runner does it: chunks of 256 test
      images, keep the correctly classified, then the log-grid threshold
      search (FGSM, resolution 1e-3) forwarding only the samples still
      searching;
  (b2) the sweep: per chunk one FGSM direction, then predictions at the 51
      budgets 0, 0.02, .., 1 for each of M models, under torch.no_grad().

Prints one "key value" line per figure (read by bench-cpu); prints
"pytorch_missing REASON" and exits 3 when torch or numpy cannot be imported.
"""
import argparse
import os
import resource
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # pragma: no cover
    print("pytorch_missing not installed (apt-get install python3-torch "
          "python3-numpy): %s" % e)
    sys.exit(3)

N_COARSE = 10        # [0] + 9 log-spaced values from 1e-3 to 1
N_REFINE = 10        # refinement: 9 values between the bracketing pair
MAX_ROUNDS = 64
N_SWEEP_EPS = 51


def load_idx(d, name, offset):
    return np.fromfile(os.path.join(d, name), dtype=np.uint8, offset=offset)


def cnn(n_out=11):
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),
        nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
        nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, n_out))


def glorot(model):
    """Keras defaults: Glorot-uniform kernels, zero biases."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def to_float(u8):
    return torch.from_numpy(u8.astype(np.float32) / 255.0).view(-1, 1, 28, 28)


def train(model, images, labels, steps, batch, rng):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999),
                           eps=1e-8)
    model.train()
    n = labels.shape[0]
    loss = None
    t0 = time.perf_counter()
    for _ in range(steps):
        idx = rng.choice(n, batch, replace=False)
        x = to_float(images[idx])
        y = torch.from_numpy(labels[idx].astype(np.int64))
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, float(loss)


def fgsm_direction(model, x, y):
    """sign of the input gradient of the cross-entropy, dropout off"""
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (g,) = torch.autograd.grad(loss, x)
    return g.sign()


def predict(model, x, chunk):
    with torch.no_grad():
        return torch.cat([model(x[i:i + chunk]).argmax(1)
                          for i in range(0, x.shape[0], chunk)])


class Search:
    """nulltool's threshold search (NT_THRESHOLD_LOG_GRID), batched."""

    def __init__(self, model, x, y, d, chunk):
        self.model, self.x, self.y, self.d, self.chunk = model, x, y, d, chunk
        self.forwards = 0

    def candidates(self, cand, todo):
        """first wrong candidate per sample among rows cand (n x k), only for
        todo samples, forwarding only the samples still searching"""
        n, k = cand.shape
        found = np.full(n, -1)
        for j in range(k):
            active = np.nonzero(todo & (found < 0))[0]
            if active.size == 0:
                break
            a = torch.from_numpy(active)
            eps = torch.from_numpy(cand[active, j].astype(np.float32))
            xa = torch.clamp(self.x[a] + eps.view(-1, 1, 1, 1) * self.d[a],
                             0.0, 1.0)
            pred = predict(self.model, xa, self.chunk)
            self.forwards += active.size
            wrong = (pred != self.y[a]).numpy()
            found[active[wrong]] = j
        return found

    def run(self, resolution=1e-3):
        n = self.x.shape[0]
        tol = resolution * (1.0 + 1e-9)
        coarse = [0.0] + [10.0 ** (-3.0 + 3.0 * (k - 1) / (N_COARSE - 2))
                          for k in range(1, N_COARSE)]
        coarse[1], coarse[-1] = 1e-3, 1.0
        cand = np.tile(np.array(coarse), (n, 1))
        found = self.candidates(cand, np.ones(n, dtype=bool))
        thr = np.full(n, -1.0)
        lo, hi = np.zeros(n), np.zeros(n)
        todo = np.zeros(n, dtype=bool)
        thr[found == 0] = 0.0
        for i in np.nonzero(found > 0)[0]:
            lo[i], hi[i] = cand[i, found[i] - 1], cand[i, found[i]]
            thr[i] = hi[i]
            todo[i] = hi[i] - lo[i] > tol
        nc = N_REFINE - 1
        ks = np.arange(1, nc + 1) / N_REFINE
        rounds = 0
        while todo.any():
            rounds += 1
            if rounds > MAX_ROUNDS:
                raise RuntimeError("threshold search did not converge")
            base = np.where(lo > 0, lo, hi * 1e-3)
            ratio = np.where(todo, hi / np.where(base > 0, base, 1.0), 1.0)
            cand = base[:, None] * ratio[:, None] ** ks[None, :]
            found = self.candidates(cand, todo)
            for i in np.nonzero(todo)[0]:
                if found[i] < 0:
                    lo[i] = cand[i, nc - 1]
                else:
                    hi[i] = cand[i, found[i]]
                    if found[i] > 0:
                        lo[i] = cand[i, found[i] - 1]
                thr[i] = hi[i]
                todo[i] = hi[i] - lo[i] > tol
        return thr


def bench_search(model, test_x, test_y, n_test, chunk):
    """source selection of the runner: filter, then search, per chunk"""
    model.eval()
    stats = dict(tested=0, searched=0, dropped=0, at_zero=0, thr_sum=0.0,
                 forwards=0)
    t0 = time.perf_counter()
    for pos in range(0, n_test, chunk):
        x, y = test_x[pos:pos + chunk], test_y[pos:pos + chunk]
        stats["tested"] += x.shape[0]
        keep = predict(model, x, chunk) == y
        x, y = x[keep], y[keep]
        if x.shape[0] == 0:
            continue
        s = Search(model, x, y, fgsm_direction(model, x, y), chunk)
        thr = s.run()
        stats["forwards"] += s.forwards
        stats["searched"] += x.shape[0]
        stats["dropped"] += int((thr < 0).sum())
        stats["at_zero"] += int((thr == 0).sum())
        stats["thr_sum"] += float(np.maximum(thr, 0).sum())
    stats["seconds"] = time.perf_counter() - t0
    return stats


def bench_sweep(models, test_x, test_y, n_img, chunk):
    for m in models:
        m.eval()
    correct = np.zeros(N_SWEEP_EPS, dtype=np.int64)
    t0 = time.perf_counter()
    for start in range(0, n_img, chunk):
        x = test_x[start:min(start + chunk, n_img)]
        y = test_y[start:min(start + chunk, n_img)]
        d = fgsm_direction(models[0], x, y)
        with torch.no_grad():
            for mi, m in enumerate(models):
                for e in range(N_SWEEP_EPS):
                    eps = min(e * 0.02, 1.0)
                    pred = m(torch.clamp(x + eps * d, 0.0, 1.0)).argmax(1)
                    if mi == 0:
                        correct[e] += int((pred == y).sum())
    return time.perf_counter() - t0, correct / n_img


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--mnist", default="data/mnist")
    ap.add_argument("--search-images", type=int, default=512)
    ap.add_argument("--sweep-images", type=int, default=256)
    ap.add_argument("--sweep-models", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=256)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--flush-denormal", action="store_true",
                    help="torch.set_flush_denormal(True), as nulltool's cpu "
                    "backend does by default (PyTorch's default is off)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    if a.flush_denormal:
        torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    train_u8 = load_idx(a.mnist, "train-images-idx3-ubyte", 16)
    train_u8 = train_u8.reshape(-1, 784)
    train_lab = load_idx(a.mnist, "train-labels-idx1-ubyte", 8)
    test_x = to_float(load_idx(a.mnist, "t10k-images-idx3-ubyte", 16))
    test_y = torch.from_numpy(
        load_idx(a.mnist, "t10k-labels-idx1-ubyte", 8).astype(np.int64))
    n_search = min(a.search_images, test_y.shape[0])
    n_sweep = min(a.sweep_images, test_y.shape[0])

    models = [cnn() for _ in range(a.sweep_models)]
    for m in models:
        glorot(m)
    train_s, last_loss = train(models[0], train_u8, train_lab, a.steps,
                               a.batch, rng)
    st = bench_search(models[0], test_x, test_y, n_search, a.chunk)
    sweep_s, acc = bench_sweep(models, test_x, test_y, n_sweep, a.chunk)

    searched = max(st["searched"], 1)
    out = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "train_seconds": "%.2f" % train_s,
        "train_last_loss": "%.3f" % last_loss,
        "train_images_per_s": "%.1f" % (a.steps * a.batch / train_s),
        "search_tested": st["tested"],
        "search_searched": st["searched"],
        "search_dropped": st["dropped"],
        "search_at_zero": st["at_zero"],
        "search_mean_threshold": "%.4f" % (st["thr_sum"] / searched),
        "search_seconds": "%.2f" % st["seconds"],
        "search_images_per_s": "%.2f" % (st["searched"] / st["seconds"]),
        "search_forwards": st["forwards"],
        "search_forwards_per_image": "%.3f" % (st["forwards"] / searched),
        "sweep_seconds": "%.2f" % sweep_s,
        "sweep_forwards_per_s": "%.1f" % (n_sweep * a.sweep_models
                                          * N_SWEEP_EPS / sweep_s),
        "sweep_acc_eps0": "%.3f" % acc[0],
        "sweep_acc_eps0.1": "%.3f" % acc[5],
        "sweep_acc_eps0.3": "%.3f" % acc[15],
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    for k, v in out.items():
        print(k, v)


if __name__ == "__main__":
    main()

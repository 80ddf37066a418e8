"""Matplotlib peer of bench/viz.ts: draws the same figures and prints, per figure, the median wall and CPU ms
(time.process_time: user + system of the process) as JSON {name: {"wall": ms, "cpu": ms}}.

Reads {"repeat": n, "cases": [{"name", "kind", "data", "options", "width", "height", "scale"}]} on stdin.
Installs nothing; bench/viz.ts runs it only when `import matplotlib` works.
"""
import io
import json
import math
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 8})


def arr(d):
    if isinstance(d, np.ndarray):
        return d
    if isinstance(d, dict) and "data" in d:
        return np.asarray(d["data"], dtype=np.float32).reshape(d["shape"])
    if isinstance(d, dict) and "random" in d:
        rng = np.random.default_rng(d["random"])
        return rng.standard_normal(d["shape"]).astype(np.float32)
    return np.asarray(d, dtype=np.float32)


def prepare(d):
    """JSON data → numpy arrays, once per case and outside the timing (Keraspect's inputs are typed arrays
    made before its timing too): {data, shape} and {random, shape} dicts and lists of numbers become
    float32 arrays; other dicts and lists are walked."""
    if isinstance(d, dict) and ("data" in d and "shape" in d or "random" in d):
        return arr(d)
    if isinstance(d, dict):
        return {k: prepare(v) for k, v in d.items()}
    if isinstance(d, list) and d and all(isinstance(v, (int, float)) for v in d):
        return np.asarray(d, dtype=np.float32)
    if isinstance(d, list):
        return [prepare(v) for v in d]
    return d


def figure(case):
    w, h, s = case["width"], case["height"], case["scale"]
    return w / 100, h / 100, 100 * s


def features1D(case):
    x = arr(case["data"])
    if x.ndim == 2:
        x = x[None]
    B, T, C = x.shape
    cols = max(1, min(C, math.ceil(math.sqrt(C * 1.4 / 2.2) - 0.15)))
    rows = math.ceil(C / cols)
    fw, fh, dpi = figure(case)
    fig, axes = plt.subplots(rows, cols, figsize=(fw, fh), dpi=dpi, sharex=True, sharey=True, squeeze=False)
    m = float(np.nanmax(np.abs(x))) * 1.05
    for c, ax in enumerate(axes.flat):
        if c >= C:
            ax.axis("off")
            continue
        ax.axhline(0, color="#555555", lw=1, ls="--")
        for b in range(B):
            ax.plot(x[b, :, c], lw=1.25)
        ax.set_ylim(-m, m)
        ax.text(0.01, 0.97, f"ch {c}", transform=ax.transAxes, va="top", fontsize=7)
    if case["options"].get("title"):
        fig.suptitle(case["options"]["title"], fontweight="bold")
    fig.supxlabel("Timesteps")
    return fig


def features2D(case):
    x = arr(case["data"])
    fw, fh, dpi = figure(case)
    fig, ax = plt.subplots(figsize=(fw, fh), dpi=dpi)
    m = float(np.nanmax(np.abs(x)))
    cmap = case["options"].get("colormap", "bwr")
    if cmap in ("bwr", "seismic"):
        vmin, vmax = -m, m
    else:
        vmin, vmax = float(np.nanmin(x)), float(np.nanmax(x))
    im = ax.imshow(x, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    fig.colorbar(im, ax=ax)
    ax.set_xlabel("Timesteps")
    ax.set_ylabel(case["options"].get("yLabel", "Attention features"))
    if case["options"].get("title"):
        ax.set_title(case["options"]["title"], fontweight="bold")
    return fig


def histogram(case):
    series = case["data"]
    fw, fh, dpi = figure(case)
    fig, ax = plt.subplots(figsize=(fw, fh), dpi=dpi)
    allv = np.concatenate([np.asarray(s["values"], dtype=np.float32) for s in series])
    lo, hi = float(allv.min()), float(allv.max())
    bins = case["options"].get("bins", 50)
    for s in series:
        ax.hist(np.asarray(s["values"], dtype=np.float32), bins=bins, range=(lo, hi), alpha=0.55, label=s["label"])
    ax.legend()
    ax.set_xlabel(case["options"].get("xLabel", "Value"))
    ax.set_ylabel("Count")
    if case["options"].get("title"):
        ax.set_title(case["options"]["title"], fontweight="bold")
    return fig


def features0D(case):
    x = arr(case["data"])
    fw, fh, dpi = figure(case)
    fig, ax = plt.subplots(figsize=(fw, fh), dpi=dpi)
    ax.axhline(0, color="#555555", lw=1, ls="--")
    labels = case["options"].get("sampleLabels") or [f"sample {i}" for i in range(x.shape[0])]
    for b in range(x.shape[0]):
        ax.plot(x[b], marker="o", ms=4, lw=1.2, label=labels[b])
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlabel(case["options"].get("xLabel", "Channels"))
    ax.set_ylabel("Value")
    if case["options"].get("title"):
        ax.set_title(case["options"]["title"], fontweight="bold")
    return fig


def attribution(case):
    x = arr(case["data"]["series"])
    a = arr(case["data"]["attributions"])
    T, C = x.shape
    thr = np.percentile(np.abs(a), 98) or 1.0
    a = np.clip(a / thr, -1, 1)
    fw, fh, dpi = figure(case)
    fig, axes = plt.subplots(C, 1, figsize=(fw, fh), dpi=dpi, sharex=True, squeeze=False)
    for c, ax in enumerate(axes[:, 0]):
        lo, hi = float(x[:, c].min()), float(x[:, c].max())
        pad = (hi - lo) * 0.08
        im = ax.imshow(a[None, :, c], extent=(-0.5, T - 0.5, lo - pad, hi + pad), aspect="auto",
                       cmap="bwr", vmin=-1, vmax=1, alpha=0.7, interpolation="nearest")
        ax.plot(x[:, c], color="#1a1a1a", lw=1.4)
        labels = case["options"].get("channelLabels")
        if labels:
            ax.text(0.005, 0.97, labels[c], transform=ax.transAxes, va="top", fontsize=7,
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1})
    fig.colorbar(im, ax=axes[:, 0].tolist(), label="Attribution (normalized)")
    axes[-1, 0].set_xlabel("Timesteps")
    if case["options"].get("title"):
        fig.suptitle(case["options"]["title"], fontweight="bold")
    return fig


def attention(case):
    maps = [(m["label"], arr(m["values"])) for m in case["data"]["maps"]]
    series = np.asarray(case["data"]["series"], dtype=np.float32)
    fw, fh, dpi = figure(case)
    fig, axes = plt.subplots(1, len(maps), figsize=(fw, fh), dpi=dpi, squeeze=False)
    vmax = max(float(m.max()) for _, m in maps)
    vmin = min(float(m.min()) for _, m in maps)
    for (label, m), ax in zip(maps, axes[0]):
        im = ax.imshow(m, cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        top = ax.inset_axes([0, 1.02, 1, 0.15])
        top.plot(np.arange(len(series)), series, color="#1a1a1a", lw=1.2)
        top.set_xticks([]), top.set_yticks([])
        top.set_title(label, fontweight="bold")
        side = ax.inset_axes([1.02, 0, 0.15, 1])
        side.plot(series, np.arange(len(series)), color="#1a1a1a", lw=1.2)
        side.invert_yaxis()
        side.set_xticks([]), side.set_yticks([])
        ax.set_xlabel("Key timestep")
    axes[0, 0].set_ylabel("Query timestep")
    fig.colorbar(im, ax=axes[0].tolist(), label="Attention weight", pad=0.08)
    if case["options"].get("title"):
        fig.suptitle(case["options"]["title"], fontweight="bold")
    return fig


def rnnWeights(case):
    k = arr(case["data"]["weights"][0])
    r = arr(case["data"]["weights"][1])
    gates = ["i", "f", "c", "o"] if case["data"]["cell"] == "LSTM" else ["z", "r", "h"]
    U = k.shape[1] // len(gates)
    m = max(float(np.abs(k).max()), float(np.abs(r).max()))
    fw, fh, dpi = figure(case)
    fig, axes = plt.subplots(1, 2, figsize=(fw, fh), dpi=dpi)
    for ax, w, name, ylabel in ((axes[0], k, "kernel", "Input features"), (axes[1], r, "recurrent kernel", "Units")):
        im = ax.imshow(w, cmap="bwr", vmin=-m, vmax=m, aspect="auto", interpolation="nearest")
        for g in range(1, len(gates)):
            ax.axvline(g * U - 0.5, color="#111111", lw=1.5)
        ax.set_xticks([(g + 0.5) * U - 0.5 for g in range(len(gates))], gates)
        ax.xaxis.tick_top()
        ax.set_title(f"{name} {w.shape[0]}x{w.shape[1]}", fontweight="bold")
        ax.set_ylabel(ylabel)
    fig.colorbar(im, ax=axes.tolist(), label="Weight")
    if case["options"].get("title"):
        fig.suptitle(case["options"]["title"], fontweight="bold")
    return fig


def main():
    job = json.load(sys.stdin)
    out = {}
    for case in job["cases"]:
        draw = globals()[case["kind"]]
        case = {**case, "data": prepare(case["data"])}
        times = []
        cpu = []
        for i in range(job["repeat"] + 1):  # the first draw warms up, as bench/viz.ts does
            c0 = time.process_time()
            t0 = time.perf_counter()
            fig = draw(case)
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            plt.close(fig)
            if i > 0:
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
        out[case["name"]] = {"wall": sorted(times)[len(times) // 2], "cpu": sorted(cpu)[len(cpu) // 2]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()

"""LRP reference values from Arras et al.'s own code, for Keraspect's lrpEpsilon test.

Usage (Debian's Python, numpy only):

    git clone https://github.com/ArrasL/LRP_for_LSTM /tmp/LRP_for_LSTM
    /usr/bin/python3 scripts/parity/arras-reference.py /tmp/LRP_for_LSTM

It draws the weights of two small Keras-layout models with a fixed seed (an LSTM and a
Bidirectional LSTM, each followed by a bias-free Dense head), writes them and the inputs as .npy
files, runs `LSTM_bidi.lrp` from the given checkout on every sample (their code is imported, never
copied), and writes the relevances next to them under packages/explain/test/lrp/arras/<model>/.
packages/explain/test/lrp/arras.test.ts builds the same models in Keraspect and compares.

Their class is a bidirectional LSTM with a linear head s = W_L h_L + W_R h_R. The unidirectional
model is that class with the right-hand LSTM's weights and head zero: its hidden state is then zero
and so is every relevance it receives when bias_factor = 0 (with bias_factor = 1 the head would
spread the stabiliser's share over both halves, so the LSTM is only compared at bias_factor = 0).

Layout conversions (Keras → Arras): gate blocks i, f, c, o → i, g, f, o; kernels transposed;
Keras' single bias becomes bxh (bhh = 0); the Dense kernel (2d, C) splits into Why_Left/Why_Right.
"""

import json
import os
import sys

import numpy as np

SETTINGS = [  # (eps, bias_factor); Arras' default is eps = 0.001, bias_factor = 0
    (0.001, 0.0),
    (0.1, 0.0),
    (0.001, 1.0),
]
MODELS = {
    # name: (bidirectional, T, features e, units d, classes C, batch, seed)
    "lstm": (False, 7, 4, 5, 3, 3, 11),
    "bilstm": (True, 6, 3, 4, 2, 3, 12),
}
WEIGHTS = ["Wxh_Left", "Whh_Left", "bxh_Left", "Why_Left", "Wxh_Right", "Whh_Right", "bxh_Right", "Why_Right"]
REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(REPO, "packages", "explain", "test", "lrp", "arras")


def keras_lstm(rng, e, d):
    """Keras LSTM weights (kernel (e,4d), recurrent_kernel (d,4d), bias (4d)), float32, gates i f c o."""
    k = rng.normal(0, 0.6, (e, 4 * d)).astype(np.float32)
    r = rng.normal(0, 0.4, (d, 4 * d)).astype(np.float32)
    b = rng.normal(0, 0.3, (4 * d,)).astype(np.float32)
    return k, r, b


def to_arras(k, r, b, d):
    """Keras (i, f, c, o) column blocks → Arras' (i, g, f, o) row blocks, in float64."""
    order = np.concatenate([np.arange(0, d), np.arange(2 * d, 3 * d), np.arange(d, 2 * d), np.arange(3 * d, 4 * d)])
    f64 = lambda a: a.astype(np.float64)
    return f64(k[:, order].T), f64(r[:, order].T), f64(b[order]), np.zeros(4 * d)


def main():
    if len(sys.argv) != 2 or not os.path.isfile(os.path.join(sys.argv[1], "code", "LSTM", "LSTM_bidi.py")):
        sys.exit(
            "usage: /usr/bin/python3 scripts/parity/arras-reference.py PATH_TO_LRP_for_LSTM_CHECKOUT\n"
            "  (git clone https://github.com/ArrasL/LRP_for_LSTM; PATH/code/LSTM/LSTM_bidi.py must exist)"
        )
    checkout = os.path.abspath(sys.argv[1])
    sys.path.insert(0, checkout)  # their package is called `code` and must shadow the stdlib module
    sys.modules.pop("code", None)
    from code.LSTM.LSTM_bidi import LSTM_bidi  # noqa: E402

    for name, (bidi, T, e, d, C, batch, seed) in MODELS.items():
        rng = np.random.default_rng(seed)
        fwd = keras_lstm(rng, e, d)
        bwd = keras_lstm(rng, e, d) if bidi else None
        head = rng.normal(0, 0.8, ((2 if bidi else 1) * d, C)).astype(np.float32)
        x = rng.normal(0, 1, (batch, T, e)).astype(np.float32)

        net = LSTM_bidi.__new__(LSTM_bidi)  # their __init__ reads their trained sentiment model; we set weights
        net.Wxh_Left, net.Whh_Left, net.bxh_Left, net.bhh_Left = to_arras(*fwd, d)
        net.Why_Left = head[:d].T.astype(np.float64)
        if bidi:
            net.Wxh_Right, net.Whh_Right, net.bxh_Right, net.bhh_Right = to_arras(*bwd, d)
            net.Why_Right = head[d:].T.astype(np.float64)
        else:
            net.Wxh_Right, net.Whh_Right = np.zeros((4 * d, e)), np.zeros((4 * d, d))
            net.bxh_Right, net.bhh_Right = np.zeros(4 * d), np.zeros(4 * d)
            net.Why_Right = np.zeros((C, d))

        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        arrays = {"x": x, "lstm_kernel": fwd[0], "lstm_recurrent_kernel": fwd[1], "lstm_bias": fwd[2], "out_kernel": head}
        if bidi:
            arrays.update({"backward_kernel": bwd[0], "backward_recurrent_kernel": bwd[1], "backward_bias": bwd[2]})
        targets = np.zeros(batch, dtype=np.int32)
        scores = np.zeros((batch, C))
        results = {}
        for b in range(batch):
            net.E = x[b].astype(np.float64)  # set_input looks words up in E: word t is row t
            net.set_input(np.arange(T))
            scores[b] = net.forward()
            targets[b] = int(np.argmax(scores[b]))
        def relevances(eps, bf, noise=None):
            rel = np.zeros((batch, T, e))
            r_init = np.zeros(batch)
            saved = {k: getattr(net, k) for k in WEIGHTS}
            if noise is not None:  # float32-sized relative noise on every weight and input
                for k in WEIGHTS:
                    setattr(net, k, saved[k] * (1 + noise.normal(0, 2**-24, saved[k].shape)))
            for b in range(batch):
                xb = x[b].astype(np.float64)
                net.E = xb if noise is None else xb * (1 + noise.normal(0, 2**-24, xb.shape))
                rx, rx_rev, r_init[b] = net.lrp(np.arange(T), int(targets[b]), eps=eps, bias_factor=bf)
                rel[b] = rx + rx_rev
            for k in WEIGHTS:
                setattr(net, k, saved[k])
            return rel, r_init

        for eps, bf in SETTINGS:
            if bf != 0 and not bidi:
                continue
            rel, r_init = relevances(eps, bf)
            # How far the reference itself moves when its weights and inputs are rounded to float32
            # (max over samples of max|ΔR| / max|R|, worst of 8 draws): Keraspect computes in
            # float32, so it cannot be asked to agree more closely than this.
            noise = np.random.default_rng(1000 + seed)
            scale = np.abs(rel).max(axis=(1, 2))
            sensitivity = max(
                float((np.abs(relevances(eps, bf, noise)[0] - rel).max(axis=(1, 2)) / scale).max()) for _ in range(8)
            )
            key = f"eps{eps:g}_bf{bf:g}"
            arrays[f"relevance_{key}"] = rel
            arrays[f"initial_state_relevance_{key}"] = r_init
            results[key] = {"eps": eps, "bias_factor": bf, "float32_sensitivity": float(f"{sensitivity:.3g}")}
        arrays["scores"] = scores
        arrays["targets"] = targets
        for k, v in arrays.items():
            np.save(os.path.join(folder, f"{k}.npy"), v)
        meta = {
            "made_by": "scripts/parity/arras-reference.py (LSTM_bidi.lrp of ArrasL/LRP_for_LSTM)",
            "bidirectional": bidi,
            "steps": T,
            "features": e,
            "units": d,
            "classes": C,
            "batch": batch,
            "seed": seed,
            "settings": results,
        }
        with open(os.path.join(folder, "meta.json"), "w") as f:
            json.dump(meta, f, indent=2)
            f.write("\n")
        print(f"{name}: wrote {len(arrays)} arrays to {os.path.relpath(folder, REPO)}; scores {scores.round(4).tolist()}")


if __name__ == "__main__":
    main()

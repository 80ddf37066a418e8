"""The Captum side of `pnpm parity` (scripts/parity/run.ts writes its input, reads its output).

Usage: /usr/bin/python3 scripts/parity/captum_twin.py CAPTUM_CHECKOUT WORK_DIR

WORK_DIR/spec.json holds one model — its layers in Keraspect's summary order, each with its Keras
class, its TF.js config (getConfig()), its inbound tensors and its weights as .npy files (in TF.js
weight order) — and a list of jobs, one per attribution method. This script builds a PyTorch twin
of the model in float64 from the same weights (a table of layer builders below, Keras semantics),
checks it against Keraspect's own prediction, runs each job's Captum method with the job's
arguments, and writes WORK_DIR/out/<job>.npy (and <job>.delta.npy for convergence deltas).

Jobs named "TimeShap" and "TSR" are not Captum classes: TimeSHAP's pruning and players
(feedzai/timeshap's) with exact Shapley values computed here, and the TSR authors' own function.

NoiseTunnel jobs replay Keraspect's noise: torch.normal is replaced for the call by a function
returning the job's noise array (Captum draws one (batch · samples, …) tensor, sample-major per
input row, as `input.repeat_interleave(samples, 0) + noise`).
"""

import json
import math
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def load_captum(path):
    if not os.path.isfile(os.path.join(path, "captum", "attr", "__init__.py")):
        sys.exit(f"captum_twin: {path} is not a Captum checkout (no captum/attr/__init__.py). git clone https://github.com/pytorch/captum")
    sys.path.insert(0, path)
    import captum  # noqa: F401
    import captum.attr as attr

    return captum, attr


# ---------------------------------------------------------------- activations (Keras semantics)


def hard_sigmoid_keras2(x):
    return torch.clamp(0.2 * x + 0.5, 0.0, 1.0)


ACTIVATIONS = {
    "linear": lambda x: x,
    None: lambda x: x,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "hardSigmoid": hard_sigmoid_keras2,  # TF.js' name; Keras 1/2 and tf.keras 2 semantics
    "hard_sigmoid": hard_sigmoid_keras2,
    "softmax": lambda x: torch.softmax(x, dim=-1),
    "elu": torch.nn.functional.elu,
    "selu": torch.nn.functional.selu,
    "softplus": torch.nn.functional.softplus,
    "softsign": torch.nn.functional.softsign,
    "swish": lambda x: x * torch.sigmoid(x),
}


def activation(name):
    if name not in ACTIVATIONS:
        raise SystemExit(f"captum_twin: activation {name!r} has no twin; add it to ACTIVATIONS")
    return ACTIVATIONS[name]


# Layer-level nonlinearities are torch modules, one per layer, so that Captum's DeepLift (which
# hooks nn.ReLU, nn.Tanh, nn.Sigmoid, nn.MaxPool1d, …) applies its rules to them.
MODULES = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "elu": torch.nn.ELU,
    "softplus": torch.nn.Softplus,
    "softmax": lambda: torch.nn.Softmax(dim=-1),
}
REGISTRY = []  # modules made while building one twin, registered on it


def module(name):
    if name in (None, "linear"):
        return lambda x: x
    if name not in MODULES:
        return activation(name)
    m = MODULES[name]()
    REGISTRY.append(m)
    return m


# ---------------------------------------------------------------- layers: (config, weights) -> fn(inputs) -> outputs


def dense(c, w):
    # An nn.Linear module (Captum's LRP gives it the ε-rule), then the activation's module.
    act = module(c.get("activation"))
    k = w[0]
    b = w[1] if c.get("useBias", True) and len(w) > 1 else None
    lin = torch.nn.Linear(k.shape[0], k.shape[1], bias=b is not None)
    with torch.no_grad():
        lin.weight.copy_(k.T)
        if b is not None:
            lin.bias.copy_(b)
    REGISTRY.append(lin)
    return lambda xs: [act(lin(xs[0]))]


def lstm_cell(c, w):
    k, r = w[0], w[1]
    b = w[2] if c.get("useBias", True) and len(w) > 2 else torch.zeros(k.shape[1])
    u = c["units"]
    act, rec = activation(c.get("activation", "tanh")), activation(c.get("recurrentActivation", "hardSigmoid"))

    def step(xt, state):
        h, cc = state
        z = xt @ k + h @ r + b
        i, f, g, o = rec(z[:, :u]), rec(z[:, u : 2 * u]), act(z[:, 2 * u : 3 * u]), rec(z[:, 3 * u :])
        cc = f * cc + i * g
        h = o * act(cc)
        return h, (h, cc)

    return u, step, 2


def gru_cell(c, w):
    k, r = w[0], w[1]
    b = w[2] if c.get("useBias", True) and len(w) > 2 else None
    u = c["units"]
    act, rec = activation(c.get("activation", "tanh")), activation(c.get("recurrentActivation", "hardSigmoid"))
    reset_after = bool(c.get("resetAfter", False))

    def step(xt, state):
        (h,) = state
        if reset_after:
            bi, br = (b[0], b[1]) if b is not None else (0, 0)
            xz = xt @ k + bi
            hz = h @ r + br
            z = rec(xz[:, :u] + hz[:, :u])
            rr = rec(xz[:, u : 2 * u] + hz[:, u : 2 * u])
            hh = act(xz[:, 2 * u :] + rr * hz[:, 2 * u :])
        else:
            bb = b if b is not None else 0
            xz = xt @ k + bb
            z = rec(xz[:, :u] + h @ r[:, :u])
            rr = rec(xz[:, u : 2 * u] + h @ r[:, u : 2 * u])
            hh = act(xz[:, 2 * u :] + (rr * h) @ r[:, 2 * u :])
        h = z * h + (1 - z) * hh
        return h, (h,)

    return u, step, 1


def simple_rnn_cell(c, w):
    k, r = w[0], w[1]
    b = w[2] if c.get("useBias", True) and len(w) > 2 else 0
    act = activation(c.get("activation", "tanh"))

    def step(xt, state):
        (h,) = state
        h = act(xt @ k + h @ r + b)
        return h, (h,)

    return c["units"], step, 1


CELLS = {"LSTM": lstm_cell, "GRU": gru_cell, "SimpleRNN": simple_rnn_cell}


def recurrent(cls, c, w, backwards=None):
    units, step, n_states = CELLS[cls](c, w)
    go_back = bool(c.get("goBackwards", False)) if backwards is None else backwards

    def run(xs):
        x = xs[0]
        if go_back:
            x = torch.flip(x, [1])
        state = tuple(torch.zeros(x.shape[0], units) for _ in range(n_states))
        outs = []
        for t in range(x.shape[1]):
            h, state = step(x[:, t], state)
            outs.append(h)
        seq = torch.stack(outs, 1)
        return [seq if c.get("returnSequences", False) else outs[-1]]

    return run


def bidirectional(c, w):
    inner = c["layer"]
    cls, ic = inner["className"], inner["config"]
    half = len(w) // 2
    fwd = recurrent(cls, ic, w[:half], backwards=False)
    bwd = recurrent(cls, ic, w[half:], backwards=True)
    merge = c.get("mergeMode", "concat")

    def run(xs):
        y, yr = fwd(xs)[0], bwd(xs)[0]
        if ic.get("returnSequences", False):
            yr = torch.flip(yr, [1])
        if merge == "concat":
            return [torch.cat([y, yr], -1)]
        if merge == "sum":
            return [y + yr]
        if merge == "ave":
            return [(y + yr) / 2]
        if merge == "mul":
            return [y * yr]
        raise SystemExit(f"captum_twin: Bidirectional merge_mode {merge!r} has no twin")

    return run


def seq_self_attention(c, w):
    """keras-self-attention SeqSelfAttention (additive or multiplicative), no window, no mask."""
    if c.get("attentionWidth") is not None:
        raise SystemExit("captum_twin: SeqSelfAttention with attention_width has no twin")
    act = activation(c.get("attentionActivation"))
    kind = c.get("attentionType", "additive")
    ws = list(w)
    if kind == "additive":
        wt, wx = ws.pop(0), ws.pop(0)
        bh = ws.pop(0) if c.get("useAdditiveBias", True) else 0
        wa = ws.pop(0)
        ba = ws.pop(0) if c.get("useAttentionBias", True) else 0

        def scores(h):
            q = (h @ wt).unsqueeze(2)
            k = (h @ wx).unsqueeze(1)
            return (torch.tanh(q + k + bh) @ wa).squeeze(-1) + ba

    else:
        wa = ws.pop(0)
        ba = ws.pop(0) if c.get("useAttentionBias", True) else 0

        def scores(h):
            return h @ wa @ h.transpose(1, 2) + ba

    def run(xs):
        h = xs[0]
        e = act(scores(h))
        a = torch.softmax(e, dim=-1)
        v = a @ h
        return [v, a] if c.get("returnAttention", False) else [v]

    return run


def batch_norm(c, w):
    ws = list(w)
    gamma = ws.pop(0) if c.get("scale", True) else 1
    beta = ws.pop(0) if c.get("center", True) else 0
    mean, var = ws.pop(0), ws.pop(0)
    eps = c.get("epsilon", 1e-3)
    if c.get("axis", -1) not in (-1, [-1]):
        raise SystemExit("captum_twin: BatchNormalization over an axis other than the last has no twin")
    return lambda xs: [(xs[0] - mean) / torch.sqrt(var + eps) * gamma + beta]


class KerasConv1d(torch.nn.Module):
    """Keras' Conv1D without its activation, on (batch, steps, features): one module, so that an LRP
    job can give it Captum's ε-rule (Captum 0.7 has a default rule for nn.Conv2d, not Conv1d)."""

    linear_map = True

    def __init__(self, c, w):
        super().__init__()
        k = w[0]  # (k, F, C)
        self.bias = w[1] if c.get("useBias", True) and len(w) > 1 else None
        ks, stride, dil = c["kernelSize"], c.get("strides", 1), c.get("dilationRate", 1)
        self.ks, self.stride, self.dil = [v[0] if isinstance(v, list) else v for v in (ks, stride, dil)]
        self.pad = c.get("padding", "valid")
        self.weight = k.permute(2, 1, 0)  # (C, F, k)

    def forward(self, x):
        x = x.transpose(1, 2)  # (B, F, T)
        ks, stride, dil = self.ks, self.stride, self.dil
        if self.pad == "causal":
            x = torch.nn.functional.pad(x, ((ks - 1) * dil, 0))
        elif self.pad == "same":
            total = max((int(np.ceil(x.shape[2] / stride)) - 1) * stride + (ks - 1) * dil + 1 - x.shape[2], 0)
            x = torch.nn.functional.pad(x, (total // 2, total - total // 2))
        y = torch.nn.functional.conv1d(x, self.weight, self.bias, stride=stride, dilation=dil)
        return y.transpose(1, 2)


def conv1d(c, w):
    conv = KerasConv1d(c, w)
    REGISTRY.append(conv)
    act = module(c.get("activation"))
    return lambda xs: [act(conv(xs[0]))]


def max_pool1d(c, w):
    size = c["poolSize"][0] if isinstance(c["poolSize"], list) else c["poolSize"]
    stride = c.get("strides") or size
    stride = stride[0] if isinstance(stride, list) else stride
    if c.get("padding", "valid") != "valid":
        raise SystemExit("captum_twin: MaxPooling1D padding 'same' has no twin")
    pool = torch.nn.MaxPool1d(size, stride)
    REGISTRY.append(pool)
    return lambda xs: [pool(xs[0].transpose(1, 2)).transpose(1, 2)]


def registered(m):
    REGISTRY.append(m)
    return m


def concatenate(c, w):
    axis = c.get("axis", -1)
    return lambda xs: [torch.cat(xs, axis)]


LAYERS = {
    "InputLayer": lambda c, w: (lambda xs: xs),
    "Dense": dense,
    "LSTM": lambda c, w: recurrent("LSTM", c, w),
    "GRU": lambda c, w: recurrent("GRU", c, w),
    "SimpleRNN": lambda c, w: recurrent("SimpleRNN", c, w),
    "Bidirectional": bidirectional,
    "SeqSelfAttention": seq_self_attention,
    "BatchNormalization": batch_norm,
    "Conv1D": conv1d,
    "MaxPooling1D": max_pool1d,
    "Concatenate": concatenate,
    "Flatten": lambda c, w: (lambda xs: [xs[0].flatten(1)]),
    "Dropout": lambda c, w: (lambda xs: xs),
    "SpatialDropout1D": lambda c, w: (lambda xs: xs),
    "Activation": lambda c, w: (lambda f: lambda xs: [f(xs[0])])(module(c.get("activation"))),
    "LeakyReLU": lambda c, w: (lambda f: lambda xs: [f(xs[0])])(registered(torch.nn.LeakyReLU(c.get("alpha", 0.3)))),
    "ReLU": lambda c, w: (lambda f: lambda xs: [f(xs[0])])(registered(torch.nn.ReLU())),
}


class Twin(torch.nn.Module):
    """The model graph in Keraspect's summary order, evaluated layer by layer."""

    def __init__(self, spec, folder):
        super().__init__()
        self.spec = spec
        self.fns = {}
        REGISTRY.clear()
        for layer in spec["layers"]:
            cls = layer["kerasClass"]
            if cls not in LAYERS:
                raise SystemExit(f"captum_twin: layer '{layer['name']}' ({cls}) has no twin; add it to LAYERS")
            ws = [torch.from_numpy(np.load(os.path.join(folder, f)).astype(np.float64)) for f in layer["weights"]]
            self.fns[layer["name"]] = LAYERS[cls](layer["config"], ws)
        self.nonlinear = torch.nn.ModuleList(REGISTRY)

    def forward(self, *inputs):
        values = dict(zip(self.spec["inputs"], inputs))
        outs = {}
        for layer in self.spec["layers"]:
            name = layer["name"]
            if name in values:
                outs[name] = [values[name]]
                continue
            xs = [outs[src][i] for src, i in layer["inbound"]]
            outs[name] = self.fns[name](xs)
        src, i = self.spec["output"]
        y = outs[src][i]
        return y.reshape(y.shape[0], -1)


# ---------------------------------------------------------------- jobs


def lrp(attr, model, x, target, epsilon):
    """Captum's LRP with EpsilonRule(ε) on every linear module (nn.Linear, the Keras Conv1D module).

    Captum passes relevance unchanged through the nonlinearities it lists (ReLU, Tanh, Dropout),
    which is Keraspect's rule for every activation; Sigmoid joins that list here (the MLP fixture).
    MaxPool1d gets Captum's ε-rule with ε = 1e-30: relevance goes to the winner unchanged, as in
    Keraspect (only the winner's gradient is non-zero, and R·x_w/(y + ε) = R)."""
    from captum.attr._core import lrp as lrp_module
    from captum.attr._utils.lrp_rules import EpsilonRule

    if torch.nn.Sigmoid not in lrp_module.SUPPORTED_NON_LINEAR_LAYERS:
        lrp_module.SUPPORTED_NON_LINEAR_LAYERS.append(torch.nn.Sigmoid)
    for m in model.modules():
        if isinstance(m, (torch.nn.Linear, KerasConv1d)):
            m.rule = EpsilonRule(epsilon=epsilon)
        elif isinstance(m, torch.nn.MaxPool1d):
            m.rule = EpsilonRule(epsilon=1e-30)
    return attr.LRP(model).attribute(x, target=target)


def exact_shapley(f, x, base, players):
    """Shapley values of the game v(S) = f(base with the cells of the players in S taken from x),
    by its definition: every coalition, weights |S|!(M − |S| − 1)!/M!. x, base: (T, F); players: lists
    of flat cell indices; f: (n, T, F) → (n,)."""
    m = len(players)
    masks = np.array([[(s >> j) & 1 for j in range(m)] for s in range(1 << m)], dtype=bool)
    rows = np.repeat(base.reshape(1, -1), len(masks), 0)
    flat = x.reshape(-1)
    for j, cells in enumerate(players):
        rows[np.ix_(masks[:, j], cells)] = flat[cells]
    v = np.concatenate([f(torch.from_numpy(rows[k : k + 512].reshape(-1, *x.shape))) for k in range(0, len(rows), 512)])
    size = masks.sum(1)
    w = np.array([math.factorial(k) * math.factorial(m - k - 1) / math.factorial(m) for k in range(m)])
    phi = np.zeros(m)
    for j in range(m):
        without = ~masks[:, j]
        s = np.nonzero(without)[0]
        phi[j] = np.sum(w[size[s]] * (v[s | (1 << j)] - v[s]))
    return phi


def timeshap_pruning_index(f, x, base, tolerance):
    """feedzai/timeshap's temp_coalition_pruning: for i = T … 0 the two-player game (recent events
    [i, T), older events [0, i)); the index is the first i < T whose older player has |φ| ≤ tolerance
    (i = 0 when none: nothing pruned). Two players: the exact Shapley value in closed form."""
    steps, feats = x.shape
    for i in range(steps - 1, 0, -1):
        older = [t * feats + k for t in range(i) for k in range(feats)]
        recent = [t * feats + k for t in range(i, steps) for k in range(feats)]
        phi = exact_shapley(f, x, base, [recent, older])
        if abs(phi[1]) <= tolerance:
            return i
    return 0


def cell_players(f, x, base, i, event_players, feature_players, pruned_player, job):
    """feedzai/timeshap's cell level: the top events and top features by |Shapley value| of the
    event and feature levels (cell_top_events / cell_top_feats, the pruned player left out), then the
    kernel's players (cell_add_sample): each top event × top feature cell, the other features of each
    top event, the other events of each top feature, all other kept cells, and the pruned events."""
    steps, feats = x.shape
    phi_e = exact_shapley(f, x, base, event_players + pruned_player)[: len(event_players)]
    phi_f = exact_shapley(f, x, base, feature_players + pruned_player)[:feats]
    events = sorted(i + e for e in np.argsort(-np.abs(phi_e), kind="stable")[: job["topEvents"]])
    top_feats = sorted(int(k) for k in np.argsort(-np.abs(phi_f), kind="stable")[: job["topFeatures"]])
    other_events = [t for t in range(i, steps) if t not in events]
    other_feats = [k for k in range(feats) if k not in top_feats]
    players = [[t * feats + k] for t in events for k in top_feats]
    if other_feats:
        players += [[t * feats + k for k in other_feats] for t in events]
    if other_events:
        players += [[t * feats + k for t in other_events] for k in top_feats]
    if other_events and other_feats:
        players.append([t * feats + k for t in other_events for k in other_feats])
    return players + pruned_player


def timeshap(model, x, target, job, folder):
    """TimeSHAP's event, feature or cell level (feedzai/timeshap's player layout: each kept event, or
    each feature over the kept events, or the cells below, and one player for the pruned events),
    exact Shapley values."""
    base = np.load(os.path.join(folder, job["baseline"])).astype(np.float64)[0]
    xs = x.numpy()
    out = np.zeros_like(xs)
    pruned = []
    for b in range(xs.shape[0]):
        with torch.no_grad():
            f = lambda batch, b=b: model(batch)[:, target[b]].numpy()
            steps, feats = xs[b].shape
            i = 0 if job["tolerance"] is None else timeshap_pruning_index(f, xs[b], base, job["tolerance"])
            pruned.append(i)
            pruned_player = [[t * feats + k for t in range(i) for k in range(feats)]] if i > 0 else []
            event_players = [[t * feats + k for k in range(feats)] for t in range(i, steps)]
            feature_players = [[t * feats + k for t in range(i, steps)] for k in range(feats)]
            if job["level"] == "event":
                players = event_players + pruned_player
            elif job["level"] == "feature":
                players = feature_players + pruned_player
            else:
                players = cell_players(f, xs[b], base, i, event_players, feature_players, pruned_player, job)
            phi = exact_shapley(f, xs[b], base, players)
        flat = out[b].reshape(-1)
        for j, cells in enumerate(players):
            flat[cells] = phi[j]
    return out, pruned


def tsr(attr, model, x, target, job):
    """getTwoStepRescaling from the authors' code (TS-Interpretability-Benchmark, 'MNIST
    Experiments/Scripts/interpret.py' of the checkout given), taken out of their file with ast and
    run as it is, on a Captum method over the twin. Their layout is (1, features, time); the masking
    value is their input[0, 0, 0]."""
    import ast

    from sklearn import preprocessing

    path = os.path.join(job["tsr"], "MNIST Experiments", "Scripts", "interpret.py")
    if not os.path.isfile(path):
        sys.exit(f"captum_twin: {path} is missing; --tsr takes a checkout of ayaabdelsalam91/TS-Interpretability-Benchmark")
    tree = ast.parse(open(path).read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "getTwoStepRescaling")
    scope = {"np": np, "preprocessing": preprocessing}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), path, "exec"), scope)

    class FeaturesFirst(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, z):
            return self.inner(z.transpose(1, 2))

    method = getattr(attr, job["inner"])(FeaturesFirst(model))
    out = []
    for b in range(x.shape[0]):
        inp = x[b : b + 1].transpose(1, 2).clone()
        r = scope["getTwoStepRescaling"](method, inp, x.shape[1], x.shape[2], target[b])
        out.append(r.T)
    return np.stack(out)


def run_job(attr, model, job, folder):
    arr = lambda name: torch.from_numpy(np.load(os.path.join(folder, name)).astype(np.float64))
    x = arr(job["input"])
    target = job["target"]
    kw = dict(job.get("args", {}))
    for key in ("baselines", "feature_mask", "sliding_window_shapes", "strides"):
        if isinstance(kw.get(key), str):
            kw[key] = arr(kw[key]).long() if key == "feature_mask" else arr(kw[key])
        elif isinstance(kw.get(key), list):
            kw[key] = tuple(kw[key])
    method = job["captum"]
    inner = job.get("inner")
    replay = job.get("replay")
    if replay:  # GradientShap: Keraspect's background picks, path coefficients and noise
        picks, coeffs = np.load(os.path.join(folder, replay["choice"])), np.load(os.path.join(folder, replay["uniform"]))
        noise_r = arr(replay["normal"])
        saved = (np.random.choice, np.random.uniform, torch.normal)
        np.random.choice = lambda k, size: picks.astype(np.int64)[:size]
        np.random.uniform = lambda lo, hi, size: coeffs.astype(np.float64)[:size]
        torch.normal = lambda mean, std, *a, **k: noise_r.clone()
        try:
            out = getattr(attr, method)(model, **job.get("init", {})).attribute(x, target=target, **kw)
        finally:
            np.random.choice, np.random.uniform, torch.normal = saved
        if isinstance(out, tuple):
            out = out[0]
        np.save(os.path.join(folder, "out", f"{job['id']}.npy"), out.detach().numpy())
        return
    if method == "LRP":
        out = lrp(attr, model, x, target, job["epsilon"])
        np.save(os.path.join(folder, "out", f"{job['id']}.npy"), out.detach().numpy())
        return
    if method == "TimeShap":
        out, pruned = timeshap(model, x, target, job, folder)
        np.save(os.path.join(folder, "out", f"{job['id']}.npy"), out)
        json.dump({"pruned": pruned}, open(os.path.join(folder, "out", f"{job['id']}.json"), "w"))
        return
    if method == "TSR":
        np.save(os.path.join(folder, "out", f"{job['id']}.npy"), tsr(attr, model, x, target, job))
        return
    if method == "NoiseTunnel":
        algo = attr.NoiseTunnel(getattr(attr, inner)(model, **job.get("init", {})))
        noise = arr(job["noise"])
        real = torch.normal

        def replay(mean, std, *a, **k):
            assert tuple(std.shape) == tuple(noise.shape), f"noise shape {tuple(noise.shape)} vs {tuple(std.shape)}"
            return noise.clone()

        torch.normal = replay
        try:
            out = algo.attribute(x, target=target, **kw)
        finally:
            torch.normal = real
    else:
        algo = getattr(attr, method)(model, **job.get("init", {}))
        out = algo.attribute(x, target=target, **kw)
    delta = None
    if isinstance(out, tuple):
        out, delta = out
    np.save(os.path.join(folder, "out", f"{job['id']}.npy"), out.detach().numpy())
    if delta is not None:
        np.save(os.path.join(folder, "out", f"{job['id']}.delta.npy"), delta.detach().numpy())


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: /usr/bin/python3 scripts/parity/captum_twin.py CAPTUM_CHECKOUT WORK_DIR")
    captum, attr = load_captum(sys.argv[1])
    folder = sys.argv[2]
    spec = json.load(open(os.path.join(folder, "spec.json")))
    os.makedirs(os.path.join(folder, "out"), exist_ok=True)
    model = Twin(spec, folder)
    x = torch.from_numpy(np.load(os.path.join(folder, spec["predictInput"])).astype(np.float64))
    with torch.no_grad():
        y = model(x).numpy()
    want = np.load(os.path.join(folder, spec["predict"])).reshape(y.shape)
    twin_abs = float(np.abs(y - want).max())
    twin_diff = twin_abs / max(float(np.abs(want).max()), 1e-12)
    from captum.attr._utils.approximation_methods import approximation_parameters

    steps = spec.get("igSteps", 16)
    trapezoid_sum = float(sum(approximation_parameters("riemann_trapezoid")[0](steps)))
    for job in spec["jobs"]:
        run_job(attr, model, job, folder)
    json.dump(
        {
            "captum": captum.__version__,
            "torch": torch.__version__,
            "twinPredictDiff": twin_diff,
            "twinPredictAbs": twin_abs,
            "trapezoidWeightSum": trapezoid_sum,
        },
        open(os.path.join(folder, "out", "info.json"), "w"),
    )


if __name__ == "__main__":
    main()

"""PyTorch peer for bench/speed.ts: the seed model (RNN -> SeqSelfAttention -> concat -> flatten ->
Dense(1)) with the weights Keraspect exported as .npy files, timed on request.

Protocol: one JSON object per line on stdin, one JSON answer per line on stdout.
  {"cmd": "load", "name": str, "kind": "lstm"|"gru", "dir": str}   weights dir with manifest.json
  {"cmd": "run", "name": str, "workload": str, "input": path}       -> {"ms": float, "cpu_ms": float}
  {"cmd": "save", "name": str, "workload": str, "input": path, "out": path}  writes the result as .npy
  {"cmd": "peak", "threads": int}                                   -> {"gflops": float, "threads": int}
  {"cmd": "threads", "n": int}                                      sets torch's intra-op threads
  {"cmd": "export", "name": str, "workload": "forward"|"attention", "input": path, "out": path}
      writes the model (or its attention maps) as ONNX with torch.onnx.export (dynamic batch axis),
      the file the ONNX Runtime peer runs
Run alone with --rss NAME KIND DIR WORKLOAD INPUT: run the workload once and print peak RSS (MiB).
"""
import json
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
IG_STEPS = 50
IG_BATCH = 100


class SeqSelfAttention(nn.Module):
    """keras-self-attention SeqSelfAttention, additive, current variant, no mask, no window."""

    def __init__(self, wt, wx, bh, wa, ba):
        super().__init__()
        self.wt = nn.Parameter(torch.from_numpy(wt))
        self.wx = nn.Parameter(torch.from_numpy(wx))
        self.bh = nn.Parameter(torch.from_numpy(bh))
        self.wa = nn.Parameter(torch.from_numpy(wa))
        self.ba = nn.Parameter(torch.from_numpy(ba))

    def attention(self, h):
        q = (h @ self.wt).unsqueeze(2)  # (B, T, 1, U)
        k = (h @ self.wx).unsqueeze(1)  # (B, 1, T, U)
        e = (torch.tanh(q + k + self.bh) @ self.wa).squeeze(-1) + self.ba  # (B, T, T)
        return torch.softmax(e, dim=-1)

    def forward(self, h):
        a = self.attention(h)
        return a @ h, a


def gates(m, order, units):
    """Reorder Keras gate blocks (last axis) into PyTorch's order."""
    return np.concatenate([m[..., g * units:(g + 1) * units] for g in order], axis=-1)


class Seed(nn.Module):
    def __init__(self, kind, w):
        super().__init__()
        k, rk = w['rnn/kernel'], w['rnn/recurrent_kernel']
        features, width = k.shape
        self.kind = kind
        if kind == 'lstm':
            units = width // 4
            self.rnn = nn.LSTM(features, units, batch_first=True)
            sd = {'weight_ih_l0': k.T, 'weight_hh_l0': rk.T, 'bias_ih_l0': w['rnn/bias'], 'bias_hh_l0': np.zeros(4 * units, np.float32)}
        else:
            units = width // 3
            order = [1, 0, 2]  # Keras z, r, h  ->  PyTorch r, z, n
            self.rnn = nn.GRU(features, units, batch_first=True)
            b = w['rnn/bias']
            sd = {'weight_ih_l0': gates(k, order, units).T, 'weight_hh_l0': gates(rk, order, units).T, 'bias_ih_l0': gates(b[0], order, units), 'bias_hh_l0': gates(b[1], order, units)}
        self.rnn.load_state_dict({n: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)) for n, v in sd.items()})
        self.att = SeqSelfAttention(*(w[f'attention/{n}'] for n in ['Wt', 'Wx', 'bh', 'Wa', 'ba']))
        dk = w['dense/kernel']
        self.dense = nn.Linear(dk.shape[0], dk.shape[1])
        self.dense.load_state_dict({'weight': torch.from_numpy(np.ascontiguousarray(dk.T)), 'bias': torch.from_numpy(w['dense/bias'])})
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, x):
        h, _ = self.rnn(x)
        v, _ = self.att(h)
        return self.dense(torch.cat([h, v], dim=-1).flatten(1))

    def attention_maps(self, x):
        h, _ = self.rnn(x)
        return self.att.attention(h)


def load(d):
    man = json.load(open(f'{d}/manifest.json'))
    return {e['key']: np.load(f"{d}/{e['file']}").astype(np.float32) for e in man['weights']}


def input_grad(model, x):
    x = x.clone().requires_grad_(True)
    model(x).sum().backward()
    return x.grad


def run(model, workload, x):
    if workload.startswith('forward'):
        with torch.no_grad():
            return model(x)
    if workload == 'gradxinput':
        return input_grad(model, x) * x
    if workload == 'ig':
        # Riemann midpoint sum from a zero baseline, all (sequence, alpha) pairs in batches of IG_BATCH.
        alphas = (torch.arange(IG_STEPS, dtype=torch.float32) + 0.5) / IG_STEPS
        n, t, f = x.shape
        path = (alphas.view(1, -1, 1, 1) * x.unsqueeze(1)).reshape(n * IG_STEPS, t, f)
        grads = torch.cat([input_grad(model, path[i:i + IG_BATCH]) for i in range(0, path.shape[0], IG_BATCH)])
        return grads.view(n, IG_STEPS, t, f).mean(1) * x
    if workload == 'attention':
        with torch.no_grad():
            return model.attention_maps(x)
    raise ValueError(f'unknown workload {workload}')


class AttentionMaps(nn.Module):
    def __init__(self, seed):
        super().__init__()
        self.seed = seed

    def forward(self, x):
        return self.seed.attention_maps(x)


def export(model, workload, x, out):
    module = model if workload == 'forward' else AttentionMaps(model)
    torch.onnx.export(module, x[:1], out, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}}, opset_version=14)


def peak():
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float('inf')
    for _ in range(5):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def serve():
    models = {}
    inputs = {}
    for line in sys.stdin:
        req = json.loads(line)
        cmd = req['cmd']
        if cmd == 'load':
            models[req['name']] = Seed(req['kind'], load(req['dir']))
            ans = {'ok': True}
        elif cmd in ('run', 'save'):
            path = req['input']
            if path not in inputs:
                inputs[path] = torch.from_numpy(np.load(path).astype(np.float32))
            m, x = models[req['name']], inputs[path]
            t0, c0 = time.perf_counter(), time.process_time()
            y = run(m, req['workload'], x)
            ms = (time.perf_counter() - t0) * 1000
            cpu_ms = (time.process_time() - c0) * 1000
            if cmd == 'save':
                np.save(req['out'], y.detach().numpy().astype(np.float32))
            ans = {'ms': ms, 'cpu_ms': cpu_ms}
        elif cmd == 'peak':
            before = torch.get_num_threads()
            torch.set_num_threads(int(req.get('threads', before)))
            ans = {'gflops': peak(), 'threads': torch.get_num_threads(), 'torch': torch.__version__}
            torch.set_num_threads(before)
        elif cmd == 'threads':
            torch.set_num_threads(int(req['n']))
            ans = {'threads': torch.get_num_threads()}
        elif cmd == 'export':
            x = torch.from_numpy(np.load(req['input']).astype(np.float32))
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                export(models[req['name']], req['workload'], x, req['out'])
            ans = {'ok': True}
        else:
            ans = {'error': f'unknown command {cmd}'}
        sys.stdout.write(json.dumps(ans) + '\n')
        sys.stdout.flush()


def peak_mb():
    """VmHWM of this process image; ru_maxrss keeps the spawning parent's peak across execve on Linux."""
    try:
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--rss':
        _, _, name, kind, d, workload, inp, threads = sys.argv
        torch.set_num_threads(int(threads))
        m = Seed(kind, load(d))
        x = torch.from_numpy(np.load(inp).astype(np.float32))
        base = peak_mb()
        run(m, workload, x)
        print(json.dumps({'base_mb': base, 'peak_mb': peak_mb()}))
    else:
        serve()

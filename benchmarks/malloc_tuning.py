"""Does raising glibc's malloc thresholds speed up ecgaug's networks on a CPU?

glibc returns large freed blocks to the kernel (``mmap``/``munmap`` above
``M_MMAP_THRESHOLD``, heap trimming above ``M_TRIM_THRESHOLD``), so a conv net
that frees and reallocates tensors of several MiB at every layer pays page
faults and zeroing on every step. ``ecgaug._malloc`` raises both thresholds
for the ``ecgaug`` command line and the benchmark scripts (never for library
users). This script measures what that buys: each workload runs in a fresh
child process with ``MALLOC_MMAP_THRESHOLD_=4294967296`` and
``MALLOC_TRIM_THRESHOLD_=68719476736`` ("tuned") or without them ("glibc
default"), alternating, ``repeats`` times; it reports the median time per step
and the ratio default / tuned, with the children's peak resident memory.

Workloads (torch's default threads, CPU):

- ``classifier_train``: a training step of Kachuee's 5-block ResNet1D, batch 256;
- ``cgan_train``, ``diffusion_train``: a training step of the CPU presets;
- ``diffusion_sample``: 1,024 beats with the CPU preset (DDIM, 10 steps);
- ``cgan_sample``: 4,096 beats with the CGAN's CPU preset.

Usage::

    python benchmarks/malloc_tuning.py --budget quick
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import _common as C

NAME = "malloc_tuning"
#: A timing benchmark: its standard budget is its quick one.
SEEDS = {"smoke": [0], "quick": [0], "standard": [0], "full": [0]}
#: Alternating (default, tuned) pairs of child processes per workload.
REPEATS = {"smoke": 1, "quick": 3, "standard": 3, "full": 7}
#: Timed steps per child, after two untimed warm-up steps.
STEPS = {"smoke": 2, "quick": 10, "standard": 10, "full": 20}
WORKLOADS = (
    "classifier_train",
    "cgan_train",
    "diffusion_train",
    "diffusion_sample",
    "cgan_sample",
)


# --------------------------------------------------------------------------- #
# the child: one workload, timed                                              #
# --------------------------------------------------------------------------- #
def _beats(n: int, seed: int = 0):
    import numpy as np

    from ecgaug.datasets import load_sample

    X, y = load_sample(return_X_y=True)
    idx = np.random.RandomState(seed).choice(len(y), n, replace=len(y) < n)
    return X[idx], y[idx]


def _classifier_step(smoke: bool):
    import torch

    from ecgaug.classifiers import ResNet1D

    torch.manual_seed(0)
    net = ResNet1D(n_blocks=1 if smoke else 5, n_classes=5)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    X, y = _beats(256)
    x, t = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(x), t).backward()
        opt.step()

    return step


def _sampler(name: str, smoke: bool):
    from ecgaug.generators import CGANSampler, DiffusionSampler

    cls = {"cgan": CGANSampler, "diffusion": DiffusionSampler}[name]
    small = {"n_layers": 2, "residual_channels": 8} if name == "diffusion" else {}
    sampler = cls(n_epochs=1, device="cpu", random_state=0, **(small if smoke else {}))
    X, y = _beats(256)
    return sampler.fit(X, y), X, y


def _train_step(name: str, smoke: bool):
    import torch

    sampler, X, y = _sampler(name, smoke)
    sampler._set_train_mode(True)
    x = torch.from_numpy(sampler._scale(X[: sampler.config_["batch_size"]]))
    t = torch.from_numpy(sampler._encode(y[: sampler.config_["batch_size"]]))
    return lambda: sampler._train_step(x, t)


def _sample_step(name: str, smoke: bool, n: int):
    sampler, _, _ = _sampler(name, smoke)
    n = 64 if smoke else n
    return lambda: sampler.sample(n, batch_size=n)


def child(workload: str, steps: int, smoke: bool) -> dict:
    """Time ``steps`` repetitions of ``workload`` in this process."""
    import torch

    make = {
        "classifier_train": lambda: _classifier_step(smoke),
        "cgan_train": lambda: _train_step("cgan", smoke),
        "diffusion_train": lambda: _train_step("diffusion", smoke),
        "diffusion_sample": lambda: _sample_step("diffusion", smoke, 1024),
        "cgan_sample": lambda: _sample_step("cgan", smoke, 4096),
    }[workload]
    step = make()
    for _ in range(2):
        step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {
        "median_step_s": statistics.median(times),
        "peak_rss_mib": round(C.peak_rss_mib(), 1),
        "threads": torch.get_num_threads(),
    }


# --------------------------------------------------------------------------- #
# the parent: alternate tuned and default children                            #
# --------------------------------------------------------------------------- #
def _run_child(workload: str, steps: int, smoke: bool, tuned: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in C.MALLOC_VARS}
    if tuned:
        env.update(C.MALLOC_VARS)
    env["ECGAUG_NO_MALLOC_TUNING"] = "1"  # nothing re-executes in the child
    cmd = [sys.executable, __file__, "--child", workload, str(steps)]
    cmd += ["smoke"] if smoke else []
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{workload} child failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(workload: str, repeats: int, steps: int, smoke: bool) -> dict:
    runs: dict[str, list[dict]] = {"default": [], "tuned": []}
    for _ in range(repeats):
        for setting in ("default", "tuned"):
            runs[setting].append(
                _run_child(workload, steps, smoke, tuned=setting == "tuned")
            )
    med = {
        s: statistics.median(r["median_step_s"] for r in rs) for s, rs in runs.items()
    }
    rss = {s: max(r["peak_rss_mib"] for r in rs) for s, rs in runs.items()}
    return {
        "median_step_s": med,
        "speedup": med["default"] / med["tuned"],
        "peak_rss_mib": rss,
        "per_child_step_s": {
            s: [round(r["median_step_s"], 5) for r in rs] for s, rs in runs.items()
        },
        "threads": runs["tuned"][0]["threads"],
    }


def markdown(rep: dict) -> str:
    lines = [
        *C.header_markdown(rep, "glibc malloc thresholds: default vs tuned"),
        f"- {rep['repeats']} alternating child processes per setting, median of "
        f"{rep['steps']} timed steps each (after 2 warm-up steps); torch threads: "
        f"{rep['results'][WORKLOADS[0]]['threads']}",
        "- tuned: " + ", ".join(f"`{k}={v}`" for k, v in C.MALLOC_VARS.items()),
        "",
    ]
    header = ["workload", "default s/step", "tuned s/step", "speed-up", "peak RSS MiB"]
    rows = []
    for name, r in rep["results"].items():
        m, rss = r["median_step_s"], r["peak_rss_mib"]
        rows.append(
            [
                name,
                f"{m['default']:.4f}",
                f"{m['tuned']:.4f}",
                f"{r['speedup']:.2f}x",
                f"{rss['default']:.0f} / {rss['tuned']:.0f}",
            ]
        )
    return "\n".join(lines + C.md_table(header, rows)) + "\n"


def main(argv=None) -> dict:
    parser = C.make_parser(__doc__, SEEDS)
    args = C.finish_args(parser.parse_args(argv))
    report = C.Report(NAME, args, argv)
    smoke = args.budget == "smoke"
    report["repeats"], report["steps"] = REPEATS[args.budget], STEPS[args.budget]
    results = {}
    # smoke: one workload, so that the test suite spends seconds on it
    for workload in WORKLOADS[:1] if smoke else WORKLOADS:
        results[workload] = measure(
            workload, REPEATS[args.budget], STEPS[args.budget], smoke
        )
        r = results[workload]
        print(f"{workload}: {r['speedup']:.2f}x ({r['median_step_s']})", flush=True)
    report["results"] = results
    return report.write(markdown)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], int(sys.argv[3]), "smoke" in sys.argv)))
    else:
        main()
    sys.exit(0)

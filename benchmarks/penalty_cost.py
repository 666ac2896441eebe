"""G-step time and peak memory of the penalty variants on one generator (issue 3's cost benchmark).

One run measures, on the same DCGAN-style G/D and batch, a full generator step (adversarial
forward, penalty, backward, optimizer step) for:

    none        no penalty
    hessian     hessian_penalty alone                        (2k perturbed samples per latent)
    jacobian    jacobian_penalty alone (forward difference)  (k)
    separate    hessian_penalty + jacobian_penalty, called one after the other, as with the two
                reference implementations                    (3k)
    joint       joint_penalty, shared directions (Eq. 12-14) (2k)

Every variant reuses the adversarial pass's output (G_z). Each variant runs in its own
subprocess so that peak memory is its own: on CUDA ``torch.cuda.max_memory_allocated`` above the
memory held before the step; on CPU the peak resident set size (ru_maxrss) above the RSS before
the step, measured in a second subprocess run with ``MALLOC_MMAP_THRESHOLD_=0`` so that every
allocation is its own mapping and freed memory leaves the RSS (glibc's caching would otherwise hide
the peak). Time is the median over ``--steps`` timed steps after ``--warmup`` steps.

    python benchmarks/penalty_cost.py                    # CPU, writes docs/benchmarks/penalty_cost_cpu.{md,json,png}
    python benchmarks/penalty_cost.py --device cuda      # GPU
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hjgan_plugin import hessian_penalty, jacobian_penalty, joint_penalty  # noqa: E402

VARIANTS = ("none", "hessian", "jacobian", "separate", "joint")


def make_generator(z_dim: int, width: int) -> nn.Module:
    """DCGAN-style G: z -> 4x4 -> 8x8 -> 16x16 -> 32x32x3."""
    return nn.Sequential(
        nn.Unflatten(1, (z_dim, 1, 1)),
        nn.ConvTranspose2d(z_dim, width * 4, 4, 1, 0), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(width * 4, width * 2, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(width * 2, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.ConvTranspose2d(width, 3, 4, 2, 1), nn.Tanh(),
    )


def make_discriminator(width: int) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, width, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width, width * 2, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width * 2, width * 4, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Conv2d(width * 4, 1, 4, 1, 0), nn.Flatten(),
    )


def penalty(variant: str, G: nn.Module, z: torch.Tensor, fake: torch.Tensor, k: int) -> torch.Tensor:
    common = dict(k=k, G_z=fake, check_determinism="never")
    if variant == "none":
        return torch.zeros((), device=z.device)
    if variant == "hessian":
        return 0.1 * hessian_penalty(G, z, **common)
    if variant == "jacobian":
        return 1e-4 * jacobian_penalty(G, z, **common)
    if variant == "separate":
        return 0.1 * hessian_penalty(G, z, **common) + 1e-4 * jacobian_penalty(G, z, **common)
    return joint_penalty(G, z, 0.1, 1e-4, **common).total


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def measure(variant: str, args: argparse.Namespace) -> dict:
    """Run in a fresh process: time and peak memory of one variant's G step."""
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    G = make_generator(args.z_dim, args.width).to(device)
    D = make_discriminator(args.width).to(device)
    opt = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.0, 0.99))
    z_all = torch.randn(args.warmup + args.steps, args.batch, args.z_dim, device=device)
    cuda = device.type == "cuda"

    def step(z: torch.Tensor) -> None:
        fake = G(z)
        loss = nn.functional.softplus(-D(fake)).mean() + penalty(variant, G, z, fake, args.k)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step(z_all[0])  # allocate optimizer state before the memory baseline
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        base = rss_bytes()
    times = []
    for i in range(1, args.warmup + args.steps):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        step(z_all[i])
        if cuda:
            torch.cuda.synchronize()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    if cuda:
        peak = torch.cuda.max_memory_allocated() - base
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    return {"variant": variant, "ms": 1e3 * statistics.median(times), "ms_min": 1e3 * min(times),
            "peak_mib": peak / 2 ** 20}


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def render_table(rows: list[dict], meta: dict) -> str:
    by = {r["variant"]: r for r in rows}
    lines = [f"Device: {meta['device_name']} · torch {meta['torch']} · batch {meta['batch']}, z {meta['z_dim']}, "
             f"width {meta['width']}, k {meta['k']}, median of {meta['steps']} steps",
             "",
             "| variant | perturbed samples / latent | G step (ms) | × none | peak memory (MiB) |",
             "|---|---|---|---|---|"]
    samples = {"none": "0", "hessian": "2k", "jacobian": "k", "separate": "3k", "joint": "2k"}
    for v in VARIANTS:
        r = by[v]
        lines.append(f"| {v} | {samples[v]} | {r['ms']:.1f} | {r['ms'] / by['none']['ms']:.2f} | {r['peak_mib']:.1f} |")
    j, s, h = by["joint"], by["separate"], by["hessian"]
    lines += ["",
              f"joint / separate: time {j['ms'] / s['ms']:.2f} (target ≤ 0.8), memory {j['peak_mib'] / s['peak_mib']:.2f}",
              f"joint / hessian:  time {j['ms'] / h['ms']:.2f} (target ≤ 1.1), memory {j['peak_mib'] / h['peak_mib']:.2f}"]
    return "\n".join(lines)


def plot(rows: list[dict], meta: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    names = [r["variant"] for r in rows]
    colors = ["#999999", "#4c72b0", "#55a868", "#c44e52", "#8172b2"]
    axes[0].bar(names, [r["ms"] for r in rows], color=colors)
    axes[0].set_ylabel("G step (ms, median)")
    axes[1].bar(names, [r["peak_mib"] for r in rows], color=colors)
    axes[1].set_ylabel("peak memory above baseline (MiB)")
    fig.suptitle(f"Penalty cost on {meta['device_name']} (batch {meta['batch']}, k {meta['k']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def run_child(argv: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, *argv], check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--z-dim", type=int, default=128)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--k", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)  # child process mode
    parser.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.variant:
        print(json.dumps(measure(args.variant, args)))
        return
    child = [a for a in (argv if argv is not None else sys.argv[1:])]
    rows = []
    for variant in VARIANTS:
        rows.append(run_child(child + ["--variant", variant]))
        if not args.device.startswith("cuda"):
            env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="0")
            rows[-1]["peak_mib"] = run_child(child + ["--variant", variant, "--memory-only", "--steps", "2",
                                                      "--warmup", "1"], env)["peak_mib"]
        print(f"  {variant:9s} {rows[-1]['ms']:8.1f} ms  {rows[-1]['peak_mib']:8.1f} MiB", flush=True)
    meta = {"device_name": device_name(args.device), "torch": torch.__version__, "batch": args.batch,
            "z_dim": args.z_dim, "width": args.width, "k": args.k, "steps": args.steps}
    table = render_table(rows, meta)
    print(table)
    tag = "cuda" if args.device.startswith("cuda") else "cpu"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"penalty_cost_{tag}.md").write_text(table + "\n")
    (args.out / f"penalty_cost_{tag}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    plot(rows, meta, args.out / f"penalty_cost_{tag}.png")


if __name__ == "__main__":
    main()

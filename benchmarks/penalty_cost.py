"""G-step time and peak memory of the penalty variants on one generator (the penalty's cost benchmark).

One run measures, on the same DCGAN-style G/D and batch, a full generator step (adversarial
forward, penalty, backward, optimizer step) for:

    none        no penalty
    hessian     hessian_penalty alone                        (2k perturbed samples per latent)
    jacobian    jacobian_penalty alone (forward difference)  (k)
    separate    hessian_penalty + jacobian_penalty, called one after the other, as with the two
                reference implementations                    (3k)
    joint       joint_penalty, shared directions (Eq. 12-14) (2k)

Every variant reuses the adversarial pass's output (G_z) and has its own copy of G, D and the
optimizer, from the same initialisation. Time: the variants' steps are interleaved round-robin in one
process (so drift in clock speed or load hits all of them alike), and each variant's figure is the
median over ``--steps`` steps after ``--warmup``. Peak memory of one step, on CUDA:
``torch.cuda.max_memory_allocated`` above the memory allocated before it; on CPU: the peak of live
tensor memory created in the step, from the torch profiler's memory timeline (the same quantity up
to the caching allocator's rounding; RSS varied by ±40% between identical runs and is not used).

    python benchmarks/penalty_cost.py                    # CPU, writes docs/benchmarks/penalty_cost_cpu.{md,json,png}
    python benchmarks/penalty_cost.py --device cuda      # GPU
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn

if not __package__:  # run as a file (python benchmarks/penalty_cost.py): make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common.markdown import table  # noqa: E402
from benchmarks.common.plots import PALETTE, pyplot  # noqa: E402
from benchmarks.common.results import add_output_arguments, write_json  # noqa: E402
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


def cpu_step_peak(step: Callable[[], None]) -> int:
    """Peak bytes of tensors alive during ``step()`` that it created (profiler memory timeline)."""
    from torch.profiler import ProfilerActivity, profile
    from torch.profiler._memory_profiler import Action

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True, with_stack=True) as prof:
        step()
    live = peak = 0
    for _time, action, _key, size in prof._memory_profile().timeline:
        if action == Action.CREATE:
            live += size
        elif action == Action.DESTROY:
            live -= size
        peak = max(peak, live)
    return peak


def cuda_step_peak(step: Callable[[], None]) -> int:
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated()
    step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated() - base


def make_step(variant: str, args: argparse.Namespace, device: torch.device) -> Callable[[torch.Tensor], None]:
    """One G step of ``variant`` on its own G, D and optimizer (same initialisation for every variant)."""
    torch.manual_seed(0)
    G = make_generator(args.z_dim, args.width).to(device)
    D = make_discriminator(args.width).to(device)
    opt = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.0, 0.99))

    def step(z: torch.Tensor) -> None:
        fake = G(z)
        loss = nn.functional.softplus(-D(fake)).mean() + penalty(variant, G, z, fake, args.k)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def measure(args: argparse.Namespace) -> list[dict]:
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    steps = {v: make_step(v, args, device) for v in VARIANTS}
    gen = torch.Generator().manual_seed(1)
    z_all = torch.randn(args.warmup + args.steps, args.batch, args.z_dim, generator=gen).to(device)
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for i in range(args.warmup + args.steps):
        for v in VARIANTS:  # round-robin: every variant sees the same machine state
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            steps[v](z_all[i])
            if cuda:
                torch.cuda.synchronize()
            if i >= args.warmup:
                times[v].append(time.perf_counter() - t0)
    peak = cuda_step_peak if cuda else cpu_step_peak
    return [{"variant": v, "ms": 1e3 * statistics.median(times[v]), "ms_min": 1e3 * min(times[v]),
             "peak_mib": peak(lambda: steps[v](z_all[0])) / 2 ** 20} for v in VARIANTS]


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


def render_table(rows: list[dict], meta: dict) -> str:
    by = {r["variant"]: r for r in rows}
    lines = [f"Device: {meta['device_name']} · torch {meta['torch']} · batch {meta['batch']}, z {meta['z_dim']}, "
             f"width {meta['width']}, k {meta['k']}, median of {meta['steps']} steps", ""]
    samples = {"none": "0", "hessian": "2k", "jacobian": "k", "separate": "3k", "joint": "2k"}
    lines += table(["variant", "perturbed samples / latent", "G step (ms)", "× none", "peak memory (MiB)"],
                   [[v, samples[v], f"{by[v]['ms']:.1f}", f"{by[v]['ms'] / by['none']['ms']:.2f}",
                     f"{by[v]['peak_mib']:.1f}"] for v in VARIANTS])
    j, s, h = by["joint"], by["separate"], by["hessian"]
    lines += ["",
              f"joint / separate: time {j['ms'] / s['ms']:.2f} (target ≤ 0.8), memory {j['peak_mib'] / s['peak_mib']:.2f}",
              f"joint / hessian:  time {j['ms'] / h['ms']:.2f} (target ≤ 1.1), memory {j['peak_mib'] / h['peak_mib']:.2f}"]
    return "\n".join(lines)


def plot(rows: list[dict], meta: dict, path: Path) -> None:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    names = [r["variant"] for r in rows]
    colors = ["#999999", *PALETTE[1:5]]  # "none" in a lighter grey
    axes[0].bar(names, [r["ms"] for r in rows], color=colors)
    axes[0].set_ylabel("G step (ms, median)")
    axes[1].bar(names, [r["peak_mib"] for r in rows], color=colors)
    axes[1].set_ylabel("peak memory above baseline (MiB)")
    fig.suptitle(f"Penalty cost on {meta['device_name']} (batch {meta['batch']}, k {meta['k']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


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
    add_output_arguments(parser)
    args = parser.parse_args(argv)
    rows = measure(args)
    for r in rows:
        print(f"  {r['variant']:9s} {r['ms']:8.1f} ms  {r['peak_mib']:8.1f} MiB", flush=True)
    meta = {"device_name": device_name(args.device), "torch": torch.__version__, "batch": args.batch,
            "z_dim": args.z_dim, "width": args.width, "k": args.k, "steps": args.steps}
    table = render_table(rows, meta)
    print(table)
    tag = "cuda" if args.device.startswith("cuda") else "cpu"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"penalty_cost_{tag}.md").write_text(table + "\n")
    write_json(args.out / f"penalty_cost_{tag}.json", {"meta": meta, "rows": rows})
    plot(rows, meta, args.out / f"penalty_cost_{tag}.png")


if __name__ == "__main__":
    main()

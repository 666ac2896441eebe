"""torch.distributed (gloo, CPU, 2 processes): the plugin under DistributedDataParallel (docs/design.md §4, §1).

- training with ``attach(G_ddp, D_ddp, ...)``, the joint penalty and the weight exchange leaves every
  parameter of G and D bitwise identical on both ranks, for ``blend`` and ``random-control``, both with
  the session's default broadcast safety net and without it (then the exchange must derive identical
  updates from already-synchronised parameters, and ``random-control`` identical noise on every rank);
- the penalty's gradient through DDP is the mean over ranks of the single-process gradients, like the
  adversarial loss's (via ``joint_penalty`` with fixed directions, and via ``session.generator_penalty``).

Every rank runs its checks and writes a JSON report; the test process spawns the ranks and reads them.
"""
from __future__ import annotations

import copy
import datetime
import json
import multiprocessing
import os
import socket
import traceback
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from nets import mlp

WORLD = 2
ITERATIONS = 6
Z_DIM, X_DIM, BATCH = 2, 3, 16

pytestmark = pytest.mark.skipif(not (dist.is_available() and dist.is_gloo_available()),
                                reason="torch.distributed with the gloo backend is not available")


# ------------------------------------------------------------------------------------- process setup
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank: int, port: int, scenario: str, kwargs: dict, out_dir: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    report: dict = {"rank": rank}
    try:
        dist.init_process_group("gloo", rank=rank, world_size=WORLD, timeout=datetime.timedelta(seconds=60))
        try:
            report.update(SCENARIOS[scenario](rank, **kwargs))
        finally:
            dist.destroy_process_group()
    except BaseException:  # noqa: BLE001 - reported to the parent with its traceback
        report["error"] = traceback.format_exc()
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(report))


def run_ranks(scenario: str, tmp_path: Path, timeout: float = 150.0, **kwargs) -> list[dict]:
    """Spawn WORLD processes running ``scenario``; return their reports (rank order)."""
    ctx = multiprocessing.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=_entry, args=(rank, port, scenario, kwargs, str(tmp_path)), daemon=True)
             for rank in range(WORLD)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout)
    hung = [p for p in procs if p.is_alive()]
    for p in hung:
        p.kill()
        p.join(5)
    reports = []
    for rank in range(WORLD):
        path = tmp_path / f"rank{rank}.json"
        assert path.exists(), f"rank {rank} wrote no report (hung: {bool(hung)}, exit codes " \
                              f"{[p.exitcode for p in procs]})"
        reports.append(json.loads(path.read_text()))
    errors = [f"--- rank {r['rank']} ---\n{r['error']}" for r in reports if "error" in r]
    assert not errors, "\n".join(errors)
    return reports


# ------------------------------------------------------------------------------------- models, data
def make_models(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)  # identical init on every rank
    G = mlp(Z_DIM, 16, 16, X_DIM)  # mirror pairs: G 16->3 with D 3->16, G 16->16 with D 16->16
    D = mlp(X_DIM, 16, 16, 1)
    return G, D


def _differing_across_ranks(tensors: list[torch.Tensor]) -> list[int]:
    """Indices of tensors that differ (bitwise) between this rank and any other."""
    bad = []
    for i, t in enumerate(tensors):
        t = t.detach().contiguous()
        gathered = [torch.empty_like(t) for _ in range(WORLD)]
        dist.all_gather(gathered, t)
        if not all(torch.equal(g, gathered[0]) for g in gathered):
            bad.append(i)
    return bad


# ------------------------------------------------------------------------------------------ scenarios
def scenario_train(rank: int, variant: str) -> dict:
    from torch.nn.parallel import DistributedDataParallel as DDP

    from hjgan_plugin import attach

    out: dict = {}
    for broadcast in (True, False):
        G, D = make_models(0)
        D_init = copy.deepcopy(D)
        G_ddp, D_ddp = DDP(G), DDP(D)
        opt_g = torch.optim.Adam(G_ddp.parameters(), lr=1e-3, betas=(0.5, 0.99))
        opt_d = torch.optim.Adam(D_ddp.parameters(), lr=1e-3, betas=(0.5, 0.99))

        exchange_changes: list[tuple[str, int, float]] = []

        session = attach(G_ddp, D_ddp, optimizer_G=opt_g, optimizer_D=opt_d, exchange_every=2,
                         exchange_strength=0.5, exchange_variant=variant, penalty="joint", lambda_h=0.1,
                         lambda_j=0.01, seed=0)
        assert session.exchange is not None and session.exchange.report.n_pairs == 2, session.exchange.report
        assert session.exchange.broadcast, "the session should enable the broadcast safety net under DDP"
        session.exchange.broadcast = broadcast
        counted = session.step  # the optimizers' post-hooks call session.step: how much does D move inside it?

        def spy_step(role: str) -> None:
            before = [p.detach().clone() for p in D.parameters()]
            counted(role)
            moved = max(float((p.detach() - b).abs().max()) for p, b in zip(D.parameters(), before))
            exchange_changes.append((role, session.steps[role], moved))

        session.step = spy_step

        data = torch.Generator().manual_seed(1000 + rank)  # different data on each rank
        torch.manual_seed(2000 + rank)  # and different penalty directions
        penalties = []
        for _ in range(ITERATIONS):
            z = torch.randn(BATCH, Z_DIM, generator=data)
            real = torch.randn(BATCH, X_DIM, generator=data) * 0.5 + torch.tensor([1.0, -1.0, 0.5])
            # generator step: the adversarial forward, then the penalty's own (batched) forward
            fake = G_ddp(z)
            adv = F.softplus(-D_ddp(fake)).mean()
            penalty = session.generator_penalty(z, G_z=fake)
            penalties.append(float(penalty.detach()))
            opt_g.zero_grad(set_to_none=True)
            (adv + penalty).backward()
            opt_g.step()
            # discriminator step
            d_loss = F.softplus(D_ddp(fake.detach())).mean() + F.softplus(-D_ddp(real)).mean()
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

        params = [p for p in G.parameters()] + [p for p in D.parameters()]
        differing = _differing_across_ranks(params)
        names = [f"G.{n}" for n, _ in G.named_parameters()] + [f"D.{n}" for n, _ in D.named_parameters()]
        assert not differing, f"{variant}, broadcast={broadcast}: replicas differ in {[names[i] for i in differing]}"
        rng_state = session.exchange._generator.get_state()
        assert not _differing_across_ranks([rng_state]), "the exchange's random generators diverged across ranks"

        ex = session.exchange
        assert session.steps == {"G": ITERATIONS, "D": ITERATIONS}
        assert ex.count == ITERATIONS // 2, ex.count
        d_moves = [(step, moved) for role, step, moved in exchange_changes if role == "D"]
        g_moves = [moved for role, _, moved in exchange_changes if role == "G"]
        assert all(moved > 0 for step, moved in d_moves if step % 2 == 0), d_moves  # exchange wrote D
        assert all(moved == 0 for step, moved in d_moves if step % 2 == 1), d_moves  # off-schedule: untouched
        assert all(moved == 0 for moved in g_moves), g_moves  # g_to_d: nothing on G steps
        d_changed = max(float((a - b).abs().max()) for a, b in zip(D.parameters(), D_init.parameters()))
        assert d_changed > 0
        assert all(p == p for p in penalties) and max(penalties) > 0, penalties
        out[f"broadcast={broadcast}"] = {"count": ex.count, "d_moves": d_moves, "penalties": penalties,
                                         "mean_cosine": ex.stats()["exchange/mean_cosine"]}
    return out


def _grads(module: nn.Module) -> list[torch.Tensor]:
    return [p.grad.detach().clone() for p in module.parameters()]


def _assert_close_relative(got: list[torch.Tensor], want: list[torch.Tensor], what: str) -> list[float]:
    errors = []
    overall = max(float(b.abs().max()) for b in want)
    assert overall > 0, f"{what}: every gradient is zero (the check would be vacuous)"
    for i, (a, b) in enumerate(zip(got, want)):
        # a parameter the penalty cannot move (G's output bias: every finite difference cancels it) has a zero
        # gradient; it is compared on the overall scale
        scale = float(b.abs().max()) or overall
        err = float((a - b).abs().max()) / scale
        errors.append(err)
        assert err <= 1e-5, f"{what}: parameter {i} relative error {err:.3g} > 1e-5"
    return errors


def scenario_penalty_gradient(rank: int) -> dict:
    from torch.nn.parallel import DistributedDataParallel as DDP

    from hjgan_plugin import attach, joint_penalty, rademacher

    alpha, beta, k = 1.0, 0.01, 2
    G, _ = make_models(0)
    G_plain = copy.deepcopy(G)  # the same weights, no wrapper
    G_ddp = DDP(G)

    def inputs(r: int) -> tuple[torch.Tensor, torch.Tensor]:
        gen = torch.Generator().manual_seed(500 + r)  # every rank can rebuild every rank's inputs
        z = torch.randn(8, Z_DIM, generator=gen)
        return z, rademacher((k, *z.shape), generator=gen)

    # 1. joint_penalty with fixed per-rank directions
    z, v = inputs(rank)
    G_ddp.zero_grad(set_to_none=True)
    joint_penalty(G_ddp, z, alpha, beta, k=k, directions=v).total.backward()
    ddp = _grads(G)
    local = []
    for r in range(WORLD):
        z_r, v_r = inputs(r)
        G_plain.zero_grad(set_to_none=True)
        joint_penalty(G_plain, z_r, alpha, beta, k=k, directions=v_r).total.backward()
        local.append(_grads(G_plain))
    mean = [torch.stack(gs).mean(0) for gs in zip(*local)]
    err_fixed = _assert_close_relative(ddp, mean, "joint_penalty through DDP")
    assert not _differing_across_ranks(ddp), "DDP left different gradients on the ranks"
    # the ranks' own gradients do differ, so the check above is not vacuous
    assert max(float((a - b).abs().max()) for a, b in zip(*local)) > 0

    # 2. the session's penalty alone (directions from the global RNG, seeded per rank)
    session = attach(G_ddp, None, penalty="joint", lambda_h=alpha, lambda_j=beta, alpha=1.0, beta=1.0)
    plain_session = attach(G_plain, None, penalty="joint", lambda_h=alpha, lambda_j=beta, alpha=1.0, beta=1.0)
    G_ddp.zero_grad(set_to_none=True)
    torch.manual_seed(700 + rank)
    session.generator_penalty(z).backward()
    ddp = _grads(G)
    local = []
    for r in range(WORLD):
        z_r, _ = inputs(r)
        G_plain.zero_grad(set_to_none=True)
        torch.manual_seed(700 + r)
        plain_session.generator_penalty(z_r).backward()
        local.append(_grads(G_plain))
    mean = [torch.stack(gs).mean(0) for gs in zip(*local)]
    err_session = _assert_close_relative(ddp, mean, "session.generator_penalty through DDP")
    return {"max_rel_error_fixed": max(err_fixed), "max_rel_error_session": max(err_session)}


SCENARIOS = {"train": scenario_train, "penalty_gradient": scenario_penalty_gradient}


# ------------------------------------------------------------------------------------------------ tests
@pytest.mark.parametrize("variant", ["blend", "random-control"])
def test_ddp_training_keeps_replicas_identical(variant, tmp_path):
    reports = run_ranks("train", tmp_path, variant=variant)
    for broadcast in ("broadcast=True", "broadcast=False"):
        r0, r1 = reports[0][broadcast], reports[1][broadcast]
        assert r0["count"] == r1["count"] == ITERATIONS // 2
        assert r0["d_moves"] == r1["d_moves"]  # the same exchange, written on the same steps
        assert r0["penalties"] != r1["penalties"]  # different data per rank really was used


def test_ddp_penalty_gradient_is_the_mean_over_ranks(tmp_path):
    reports = run_ranks("penalty_gradient", tmp_path)
    for r in reports:
        assert r["max_rel_error_fixed"] <= 1e-5 and r["max_rel_error_session"] <= 1e-5

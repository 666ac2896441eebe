"""The lazy-regularization benchmark's pieces (benchmarks/lazy): the settings grid, the testbed's one
iteration, the screen's pick and verdicts, the timing pass, and the script end to end on a few iterations."""
from __future__ import annotations

import math

import pytest
import torch

from benchmarks.lazy import analysis, timing
from benchmarks.lazy.configs import EVERY_STEP, PLAIN, lazy_weight, perturbed_per_step, settings
from benchmarks.lazy.runs import checkpoint_its
from hjgan_plugin.testbed.training import iteration, setup, train


def test_grid_spans_the_three_gains_and_a_retuned_lambda_per_interval():
    grid = settings()
    for n in (2, 4, 8, 16):
        weights = sorted(lazy_weight(cfg) for name, cfg in grid.items() if cfg and cfg.get("interval") == n)
        assert weights == pytest.approx([1.0, math.sqrt(n), n, 2 * n])
    assert lazy_weight(grid[EVERY_STEP]) == 1.0 and lazy_weight(grid[PLAIN]) == 0.0


def test_perturbed_samples_per_step():
    grid = settings()
    assert perturbed_per_step(grid[EVERY_STEP]) == 4  # 2k with k = 2
    assert perturbed_per_step(grid["interval 4, gain N"]) == 1
    assert perturbed_per_step(grid["sub-batch 0.25"]) == 1
    assert perturbed_per_step(grid["k 4, sub-batch 0.5"]) == perturbed_per_step(grid["k 8, sub-batch 0.25"]) == 4
    assert perturbed_per_step(None) == 0


def test_checkpoints_end_at_the_last_iteration_and_never_precede_the_first():
    assert checkpoint_its(2000) == [1500, 1625, 1750, 1875, 2000]
    assert checkpoint_its(200) == [1, 75, 200]


def test_setup_and_iteration_are_train_step_for_step():
    cfg = {"penalty": "joint", "lambda_h": 4.5e-5, "lambda_j": 1.5e-5, "interval": 2}
    state = setup(cfg, seed=4)
    for _ in range(7):
        iteration(state)
    trained = train(cfg, iters=7, seed=4, log=lambda _: None)["G"]
    for a, b in zip(state.G.parameters(), trained.parameters()):
        assert torch.equal(a, b)


def test_learning_rate_reaches_the_optimizer():
    state = setup(None, seed=0, lr_g=5e-4, lr_d=3e-4)
    assert state.opt_g.param_groups[0]["lr"] == 5e-4 and state.opt_d.param_groups[0]["lr"] == 3e-4


def _rows(config, migs, valids):
    return [{"config": config, "seed": s, "mig": m, "valid": v} for s, (m, v) in enumerate(zip(migs, valids))]


def test_pick_takes_cheap_settings_closest_to_every_step():
    grid = settings()
    rows = (_rows(EVERY_STEP, [0.30, 0.32, 0.28, 0.31], [0.5, 0.52, 0.48, 0.5])
            + _rows("interval 4, gain N", [0.0, 0.01, 0.0, 0.01], [0.5, 0.5, 0.5, 0.5])   # loses MIG
            + _rows("interval 8, gain √N", [0.31, 0.33, 0.29, 0.30], [0.49, 0.51, 0.5, 0.5])  # keeps it
            + _rows("interval 16, gain 1", [0.30, 0.3, 0.3, 0.3], [0.25, 0.26, 0.25, 0.25])  # loses quality
            + _rows("sub-batch 0.5", [0.4, 0.4, 0.4, 0.4], [0.6, 0.6, 0.6, 0.6]))          # not cheap enough
    assert analysis.pick(rows, grid, 2) == ["interval 8, gain √N", "interval 16, gain 1"]
    assert analysis.verdict(analysis.against_every_step(rows, "interval 4, gain N"), False) == "loses MIG"
    assert analysis.verdict(analysis.against_every_step(rows, "interval 16, gain 1"), True) == "loses quality"
    stats = analysis.against_every_step(rows, "interval 8, gain √N")
    assert analysis.verdict(stats, False) == "not worse on 4 seeds (screen)"
    assert analysis.verdict(stats, True) == "keeps it"
    assert stats["degenerate"] == 0 and analysis.against_every_step(rows, "interval 16, gain 1")["degenerate"] == 4


def test_timing_pass_gives_ratios_to_plain():
    grid = settings()
    measured = timing.measure({PLAIN: None, "interval 4, gain N": grid["interval 4, gain N"]},
                              iterations=2, rounds=2, warmup=1)
    assert measured["ratio"][PLAIN] == 1.0 and measured["ratio"]["interval 4, gain N"] > 0
    assert measured["fb_ms"] > 0 and measured["fb_ms_perturbed"] > 0 and len(measured["load"]) == 6


def test_script_end_to_end_and_redraw(tmp_path):
    from benchmarks.lazy_regularization import main

    cache = tmp_path / "runs.jsonl"
    args = ["--seeds", "3", "--screen-seeds", "2", "--confirm", "1", "--iters", "30", "--settings",
            "interval 4, gain 1", "--timing-iterations", "1", "--timing-rounds", "1", "--workers", "1",
            "--cache", str(cache), "--out", str(tmp_path)]
    main(args)
    page = (tmp_path / "lazy_regularization.md").read_text()
    assert "| **interval 4, gain 1** | 1 | 1 |" in page and "| every step | 1 | 4 |" in page
    assert "## The floor" in page and (tmp_path / "lazy_regularization.png").stat().st_size > 0
    assert len(cache.read_text().splitlines()) == 9  # 3 plain + 3 every step + 3 interval 4
    (tmp_path / "again").mkdir()
    main(["--from-json", str(tmp_path / "lazy_regularization.json"), "--out", str(tmp_path / "again")])
    assert (tmp_path / "again" / "lazy_regularization.md").read_text() == page
    main(["--retime", str(tmp_path / "lazy_regularization.json"), "--timing-iterations", "1", "--timing-rounds", "1",
          "--out", str(tmp_path / "again")])
    retimed = (tmp_path / "again" / "lazy_regularization.md").read_text()
    assert "Timing (rerun: `python benchmarks/lazy_regularization.py --retime" in retimed
    assert retimed.split("| setting |")[1].split("## The floor")[0].count("|") > 0

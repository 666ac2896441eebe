"""The benchmark scripts still run end to end (tiny settings; their figures live in docs/benchmarks)."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # spawned workers import the module by name
    spec.loader.exec_module(module)
    return module


def test_penalty_cost_writes_table_json_and_plot(tmp_path):
    bench = load("penalty_cost")
    bench.main(["--steps", "2", "--warmup", "1", "--batch", "4", "--width", "8", "--z-dim", "8",
                "--threads", "1", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "penalty_cost_cpu.json").read_text())["rows"]
    assert [r["variant"] for r in rows] == ["none", "hessian", "jacobian", "separate", "joint"]
    by = {r["variant"]: r for r in rows}
    # joint keeps the same tensors alive as the Hessian estimator alone; separate adds the Jacobian's
    assert by["joint"]["peak_mib"] <= by["separate"]["peak_mib"]
    assert by["none"]["peak_mib"] < by["hessian"]["peak_mib"]
    assert "joint / separate" in (tmp_path / "penalty_cost_cpu.md").read_text()
    assert (tmp_path / "penalty_cost_cpu.png").stat().st_size > 0


def test_disentanglement_benchmark_smoke(tmp_path):
    bench = load("disentanglement")
    bench.main(["--seeds", "0", "--iters", "20", "--vp-pairs", "600", "--configs", "baseline", "joint",
                "--workers", "1", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "disentanglement.json").read_text())
    assert sorted(r["config"] for r in rows) == ["baseline", "joint"]
    for r in rows:
        assert 0 <= r["mig"] <= 1 and 0 <= r["vp"] <= 1 and 0 <= r["valid"] <= 1 and len(r["vp_runs"]) == 3
    table = (tmp_path / "disentanglement.md").read_text()
    assert "| baseline |" in table and "| joint |" in table
    assert (tmp_path / "disentanglement.png").stat().st_size > 0


def test_lazy_suite_smoke_without_vp(tmp_path):
    bench = load("disentanglement")
    bench.main(["--suite", "lazy", "--seeds", "0", "--iters", "16", "--vp-pairs", "0",
                "--configs", "joint", "interval 4", "--workers", "1", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "lazy_cost.json").read_text())
    assert sorted(r["config"] for r in rows) == ["interval 4", "joint"]
    assert all(r["ms_per_iteration"] > 0 and r["vp_runs"] == [] for r in rows)
    table = (tmp_path / "lazy_cost.md").read_text()
    assert "| interval 4 |" in table and "not run" in table and "ms / iteration" in table


def test_mode_collapse_benchmark_smoke(tmp_path):
    bench = load("mode_collapse")
    common = ["--seeds", "0", "--samples", "200", "--digit-samples", "120", "--classifier-epochs", "1",
              "--workers", "1", "--out", str(tmp_path)]
    # a longer baseline-only plateau check first: the main table cites it
    bench.main(common + ["--baseline-only", "--datasets", "digits", "--digit-iters", "24", "--digit-checkpoints", "3"])
    longer = json.loads((tmp_path / "mode_collapse.baseline_plateau.json").read_text())
    assert [h["iteration"] for h in longer["runs"][0]["history"]] == [8, 16, 24]
    assert longer["plateau"]["digits"]["final_iteration"] == 24
    bench.main(common + ["--iters", "12", "--checkpoints", "2", "--digit-checkpoints", "2"])
    data = json.loads((tmp_path / "mode_collapse.json").read_text())
    chosen = data["chosen_setting"]
    setting = f"{chosen['every']}:{chosen['eta']:g}"
    sweep = [f"blend:{every}:{eta:g}" for every, eta in bench.SWEEP]
    controls = [f"{variant}:{setting}" for variant in ("blend-norm", "random-control", "random-fixed")]
    expected = {"baseline", "msgan:1", *sweep, *controls}
    assert set(data["configs"]) == expected and f"blend:{setting}" in sweep
    runs = data["runs"]
    for dataset in ("ring", "grid"):  # the whole sweep on the 2D sets
        assert {r["config"] for r in runs if r["dataset"] == dataset} == expected
    # digits: baseline, MSGAN, the chosen blend setting, blend-norm and the two controls
    assert {r["config"] for r in runs if r["dataset"] == "digits"} == {"baseline", "msgan:1", f"blend:{setting}",
                                                                      *controls}
    for r in runs:
        keys = ["modes", "confident"] if r["dataset"] == "digits" else ["modes_loose", "modes_strict", "hq"]
        for key in keys + ["d_gap", "ms_per_iteration"]:
            assert math.isfinite(r[key]), (r["dataset"], r["config"], key)
        # reverse KL is undefined (None) only when no sample was high quality
        assert (r["reverse_kl"] is not None and math.isfinite(r["reverse_kl"])) or r.get("n_hq") == 0
        if r["config"].startswith("msgan"):  # the term came through the plugin hook
            assert math.isfinite(r["msgan_term"]) and r["msgan_term"] > 0
        if r["config"] in (f"blend:{setting}", *controls) or r["config"] in ("blend:1:0.01", "blend:10:0.1"):
            assert r["exchange_count"] == 12 // int(r["config"].split(":")[1]) and r["exchange_pairs"] == 2
    refs = {(r["dataset"], r["config"]) for r in data["reference"]}
    assert {("ring", "uniform spray"), ("grid", "uniform spray"), ("digits", "real data")} <= refs
    table = (tmp_path / "mode_collapse.md").read_text()
    assert "| baseline (plain GAN) |" in table and "| uniform spray |" in table and "plateau" in table
    assert "Longer check (`--baseline-only --datasets digits --digit-iters 24`" in table
    assert data["settings"]["adam"] in ("fused", "for-loop") and len(data["settings"]["load_before"]) == 3
    assert (tmp_path / "mode_collapse.png").stat().st_size > 0

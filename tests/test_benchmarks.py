"""The benchmark scripts still run end to end (tiny settings; their figures live in docs/benchmarks)."""
from __future__ import annotations

import importlib.util
import json
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

"""Smoke tests of the main demo (``python -m hjgan_plugin.demo``) with very few iterations."""
import os
import re
import subprocess
import sys

import pytest
import torch

from hjgan_plugin import demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_demo_command_writes_png_and_table(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "hjgan_plugin.demo", "--out", str(out), "--iters", "20", "--seeds", "1", "2", "3",
         "--log-every", "10", "--eval-samples", "2000"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    png = out / "demo.png"
    assert png.exists() and png.stat().st_size > 10_000
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = proc.stdout
    assert "[baseline seed 1] it    10/20" in text and "[plugin seed 3] it    20/20" in text  # progress lines
    rows = {(m.group(1), m.group(2)): m for m in re.finditer(
        r"^(baseline|plugin)\s+(\d+|med)\s+([0-9.]+)\s+([0-9.]+)\s", text, re.MULTILINE)}
    assert set(rows) == {(run, seed) for run in ("baseline", "plugin") for seed in ("1", "2", "3", "med")}, text
    for run in ("baseline", "plugin"):
        mig = sorted(float(rows[run, seed].group(3)) for seed in "123")
        assert all(0 <= v <= 1 for v in mig) and float(rows[run, "med"].group(3)) == pytest.approx(mig[1], abs=1e-3)
    assert re.search(r"the picture shows seed [123]: its MIG gain is the median", text)


def test_the_picture_shows_the_seed_of_the_median_gain():
    results = [{"seed": s, "baseline": {"mig": b}, "plugin": {"mig": p}}
               for s, b, p in ((0, 0.1, 0.5), (1, 0.1, 0.2), (2, 0.0, 0.3), (3, 0.2, 0.2))]
    assert demo.median_seed(results) == 1  # gains 0.4, 0.1, 0.3, 0.0: the lower median is seed 1's 0.1
    assert demo.median_seed(results[:3]) == 2  # gains 0.4, 0.1, 0.3: the median is 0.3
    assert demo.median_seed(results[1:2]) == 1


def test_train_is_seeded_and_plugin_changes_training():
    a = demo.train(None, iters=5, seed=3, log=lambda s: None)
    b = demo.train(None, iters=5, seed=3, log=lambda s: None)
    for pa, pb in zip(a["G"].parameters(), b["G"].parameters()):
        assert torch.equal(pa, pb)
    c = demo.train({"penalty": "joint", "lambda_h": 1.0, "lambda_j": 1.0}, iters=5, seed=3, log=lambda s: None)
    assert any(not torch.equal(pa, pc) for pa, pc in zip(a["G"].parameters(), c["G"].parameters()))
    hist = c["history"]
    assert hist["it"][0] == 1 and hist["it"][-1] == 5 and len(hist["hessian"]) == len(hist["it"])
    assert hist["hj_total"][-1] > 0


def test_evaluate_and_traversal():
    torch.manual_seed(0)
    G = demo.Generator()
    m = demo.evaluate(G, n=500)
    assert set(m) == {"mig", "valid"} and 0 <= m["mig"] <= 1 and 0 <= m["valid"] <= 1
    grid = demo.traversal(G, steps=9)
    assert grid.shape == (3 * 17 - 1, 9 * 17 - 1)

"""The remedies suite of the mode-collapse benchmark (benchmarks/mode_collapse_remedies.py): its configs go
through attach() with the built-in remedy plugins, and the script runs end to end on a few iterations."""
from __future__ import annotations

import argparse

import pytest

from benchmarks.collapse.configs import Config


def test_remedy_configs_parse_label_and_attach():
    assert Config.parse("sn").attach_fields(500) == {"penalty": "none", "spectral_norm": True}
    topk = Config.parse("topk:0.5")
    assert topk.key == "topk:0.5" and topk.label == "top-k ν=0.5"
    assert topk.attach_fields(5000) == {"penalty": "none", "adapter": "non-saturating", "topk_nu": 0.5,
                                        "topk_gamma": 0.99, "topk_period": 50}
    assert Config.parse("msgan:0.1").attach_fields() == {"penalty": "none", "msgan_weight": 0.1}
    unrolled = Config.parse("unrolled:5:0.01")
    assert unrolled.label == "unrolled K=5, η=0.01" and unrolled.pull == 0.0
    assert unrolled.attach_fields() == {"penalty": "none", "adapter": "non-saturating", "unrolled_steps": 5,
                                        "unrolled_lr": 0.01}
    with pytest.raises(argparse.ArgumentTypeError, match="'sn', 'topk:<nu>'"):
        Config.parse("topk")


def test_remedies_suite_end_to_end(tmp_path):
    from benchmarks.mode_collapse_remedies import main

    cache = tmp_path / "runs.jsonl"
    args = ["--seeds", "0", "1", "--datasets", "ring", "--iters", "40", "--samples", "200", "--workers", "1",
            "--configs", "baseline", "sn", "topk:0.5", "unrolled:2:0.01", "--cache", str(cache), "--out", str(tmp_path)]
    result = main(args)
    assert {r["config"] for r in result["runs"]} == {"baseline", "sn", "topk:0.5", "unrolled:2:0.01"}
    assert len(result["runs"]) == 8 and len(cache.read_text().splitlines()) == 8
    page = (tmp_path / "mode_collapse_remedies.md").read_text()
    assert "| spectral norm (D) |" in page and "| top-k ν=0.5 |" in page and "| unrolled K=2, η=0.01 |" in page and "## Which remedy helps where" in page
    assert "| config | cost | strict modes | HQ | reverse KL | D gap |" in page
    assert (tmp_path / "mode_collapse_remedies.png").stat().st_size > 0
    again = tmp_path / "again"
    again.mkdir()
    main(["--from-json", str(tmp_path / "mode_collapse_remedies.json"), "--out", str(again)])
    assert (again / "mode_collapse_remedies.md").read_text() == page
    # a rerun with one more seed trains only that seed's four runs; the others come back from the cache as they were
    more = main([*args[:3], "2", *args[3:]])
    assert len(more["runs"]) == 12 and len(cache.read_text().splitlines()) == 12
    assert [r for r in more["runs"] if r["seed"] < 2] == result["runs"]
    with pytest.raises(SystemExit, match="the first config must be 'baseline'"):
        main(["--configs", "sn", "baseline", "--datasets", "ring", "--iters", "5", "--out", str(tmp_path)])

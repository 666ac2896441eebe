"""pyproject.toml lists packages explicitly (integrations/ and patches/ are mapped into hjgan_plugin):
every package folder must be listed, and the patches must ship as package data."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAPPED = {"hjgan_plugin": "hjgan_plugin", "hjgan_plugin.integrations": "integrations",
          "hjgan_plugin.patches": "patches"}


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed():
    config = _config()
    assert config["package-dir"] == {k: v for k, v in MAPPED.items() if k != "hjgan_plugin"}
    found = set()
    for package, folder in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((package, *rel)))
    assert found == set(config["packages"]), f"pyproject packages vs folders: {sorted(found ^ set(config['packages']))}"


def test_patches_ship_as_package_data():
    patterns = _config()["package-data"]["hjgan_plugin.patches"]
    files = [p.relative_to(ROOT / "patches") for p in (ROOT / "patches").rglob("*") if p.suffix in (".patch", ".json")]
    assert files and all(any(p.match(pattern) for pattern in patterns) for p in files)

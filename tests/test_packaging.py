"""Packaging (docs/design.md §6): hjgan_plugin and each host integration build as their own wheels.

- hjgan_plugin's wheel holds every package under ``hjgan_plugin/`` (found, not listed by hand) and the
  built-in entry points;
- each ``integrations/<host>/`` builds a wheel of its own that ships the host's patches (its ``patches``
  folder links to the repository's ``patches/<host checkout>/``) and declares its ``hjgan`` entry point.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
INTEGRATIONS = sorted(p.parent for p in (ROOT / "integrations").glob("*/pyproject.toml"))


def _wheel(project: Path, out: Path) -> zipfile.ZipFile:
    """Build ``project``'s wheel from a copy (setuptools writes build/ beside the sources)."""
    src = out / "src"
    for part in ("pyproject.toml", "README.md", "hjgan_plugin", "patches", *(
            str(p.relative_to(ROOT)) for p in INTEGRATIONS)):
        copy = shutil.copytree if (ROOT / part).is_dir() else shutil.copy
        kwargs = {"symlinks": True, "ignore": shutil.ignore_patterns("__pycache__", "build", "*.egg-info")} \
            if (ROOT / part).is_dir() else {}
        (src / part).parent.mkdir(parents=True, exist_ok=True)
        copy(ROOT / part, src / part, **kwargs)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           "-w", str(out), str(src / project.relative_to(ROOT))], capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0 and "No module named pip" in done.stderr:
        pytest.skip("pip is not available in this interpreter")
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def _entry_points(wheel: zipfile.ZipFile) -> str:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    return wheel.read(name).decode()


def test_core_wheel_holds_every_package_and_the_builtin_entry_points(tmp_path):
    wheel = _wheel(ROOT, tmp_path)
    names = set(wheel.namelist())
    packages = {str(init.parent.relative_to(ROOT)) for init in (ROOT / "hjgan_plugin").rglob("__init__.py")}
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"packages left out of the wheel: {missing}"
    assert not any(n.startswith(("integrations/", "patches/", "tests/", "benchmarks/")) for n in names)
    points = _entry_points(wheel)
    assert "[hjgan]" in points and "generic_adapter = hjgan_plugin.plugins.generic_adapter" in points
    assert "[console_scripts]" in points and "hjgan = hjgan_plugin.cli:main" in points


@pytest.mark.parametrize("project", INTEGRATIONS, ids=[p.name for p in INTEGRATIONS])
def test_integration_wheel_ships_its_patches_and_entry_point(project, tmp_path):
    package = next(p for p in project.iterdir() if (p / "__init__.py").is_file())
    link = package / "patches"
    wheel = _wheel(project, tmp_path)
    assert "[hjgan]" in _entry_points(wheel) and f"= {package.name}.plugin" in _entry_points(wheel)
    patches_by_the_hook = "hjgan_patch_hosts" in (package / "plugin.py").read_text()
    assert link.exists() == patches_by_the_hook, "an integration that patches a checkout ships patches/, and only it"
    if not patches_by_the_hook:
        return  # a pip-installed host (pro-gan-pth) is wrapped at run time, not patched
    assert link.is_symlink() and link.resolve().parent == ROOT / "patches", "patches/ must link to the repo's"
    shipped = {n.split("/patches/", 1)[1] for n in wheel.namelist() if f"{package.name}/patches/" in n}
    expected = {p.name for p in link.resolve().iterdir() if p.suffix in (".patch", ".json")}
    assert expected and shipped == expected


@pytest.mark.parametrize("project", INTEGRATIONS, ids=[p.name for p in INTEGRATIONS])
def test_a_host_needing_torchvision_is_kept_out_of_the_main_environment(project):
    """scripts/setup.sh installs a host's [train] extra into .venv unless the host is marked for .venv-hosts:
    torchvision there would replace the CPU torch 2.13 with a multi-GB build."""
    import tomllib

    data = tomllib.loads((project / "pyproject.toml").read_text())
    train = data["project"].get("optional-dependencies", {}).get("train", [])
    needs_torchvision = any(req.split("[")[0].split("=")[0].split(">")[0].strip() == "torchvision" for req in train)
    hosts = data.get("tool", {}).get("hjgan", {}).get("environment") == "hosts"
    assert hosts or not needs_torchvision, f"{project.name}: its [train] extra needs torchvision; mark it hosts"

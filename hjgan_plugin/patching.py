"""Version-checked, all-or-nothing patching of a user's host checkout (``hjgan patch HOST DIR``).

A host integration describes its patches as a :class:`PatchSet` (a folder with the ``.patch`` files and
an ``upstream.json`` manifest) and registers a patch function through the ``hjgan_patch_hosts`` hook.

1. The version check: every file the integration relies on must hash to the supported upstream content
   (or to that content with our patches applied); otherwise nothing is touched and the message lists
   the files that differ.
2. Patches already in the checkout (``git apply --reverse --check`` succeeds) are reported and skipped.
3. The rest are checked together (``git apply --check``) and applied in one ``git apply`` call, which
   writes every file or none. ``git`` is only used as a patch tool: DIR need not be a git repository.

``upstream.json``: ``{"repository", "commit", "patches": {name: what it does}, "files": {path:
{"original": sha256, "patched": [sha256, ...]}}}``.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence


class PatchError(Exception):
    """The checkout cannot be patched (wrong version, already patched, no git); nothing was changed."""


@dataclass(frozen=True)
class PatchResult:
    applied: tuple[str, ...]
    skipped: tuple[str, ...]  # already in the checkout (or already absent, with reverse=True)

    def messages(self, repo: Path, *, reverse: bool = False) -> list[str]:
        verb = "removed" if reverse else "applied"
        state = "not present" if reverse else "already applied"
        return ([f"{verb} {name} in {repo}" for name in self.applied]
                + [f"{name}: {state} in {repo}, left as it is" for name in self.skipped])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class PatchSet:
    """One host's patches.

    :param folder: holds the ``.patch`` files and ``upstream.json``.
    :param host: the name users know the checkout by (``"stylegan2-ada-pytorch"``), for messages.
    :param marker: a file every checkout of the host has (``"train.py"``), to recognise a wrong folder.
    """

    folder: Path
    host: str
    marker: str

    def manifest(self) -> dict:
        """``upstream.json``: the supported commit and the accepted hashes of the files we rely on."""
        return json.loads((self.folder / "upstream.json").read_text())

    def path(self, name: str) -> Path:
        return self.folder / name

    def version_problems(self, repo: str | Path) -> list[str]:
        """Why ``repo`` is not the supported upstream version (empty list: it is)."""
        repo = Path(repo)
        problems = []
        for rel, hashes in self.manifest()["files"].items():
            path = repo / rel
            if not path.is_file():
                problems.append(f"{rel} is missing")
            elif sha256(path) not in [hashes["original"], *hashes["patched"]]:
                problems.append(f"{rel} differs")
        return problems

    def check_version(self, repo: str | Path) -> None:
        """Raise :class:`PatchError` unless ``repo`` is the supported upstream version."""
        repo = Path(repo)
        if not (repo / self.marker).is_file():
            raise PatchError(f"{repo} is not a {self.host} checkout (no {self.marker} there)")
        problems = self.version_problems(repo)
        if problems:
            info = self.manifest()
            raise PatchError(
                f"{repo} is not {info['repository']} at {info['commit'][:7]}, the version hjgan_plugin supports: "
                f"{'; '.join(problems)}. Nothing was changed. Check out that commit "
                f"(git -C {repo} checkout {info['commit'][:7]}) or port the patches by hand.")

    def is_applied(self, repo: str | Path, name: str) -> bool:
        """True if patch ``name`` is already in ``repo`` (it reverses cleanly)."""
        return _git_apply(Path(repo), [self.path(name)], "--reverse", "--check").returncode == 0

    def apply(self, repo: str | Path, names: Sequence[str], *, reverse: bool = False,
              check_only: bool = False) -> PatchResult:
        """Apply (``reverse=True``: remove) the patches ``names``, in order, all or nothing.

        Raises :class:`PatchError` with nothing changed when the version is wrong, when every requested
        patch is already applied (already absent, for ``reverse``), or when the patches do not apply.
        ``check_only``: do everything but write.
        """
        repo = Path(repo).resolve()
        self.check_version(repo)
        names = list(names)[::-1] if reverse else list(names)
        todo = [n for n in names if self.is_applied(repo, n) == reverse]
        skipped = tuple(n for n in names if n not in todo)
        if not todo:
            state = "none of them is applied" if reverse else "already patched"
            raise PatchError(f"{repo}: {state} ({', '.join(names)}); nothing was changed")
        paths = [self.path(n) for n in todo]
        extra = ("--reverse",) if reverse else ()
        checked = _git_apply(repo, paths, *extra, "--check")
        if checked.returncode != 0:
            raise PatchError(f"{', '.join(todo)} do(es) not apply to {repo}; nothing was changed:\n"
                             f"{checked.stderr.strip()}")
        if not check_only:
            done = _git_apply(repo, paths, *extra)
            if done.returncode != 0:  # pragma: no cover - --check passed just before
                raise PatchError(f"git apply failed in {repo}:\n{done.stderr.strip()}")
        return PatchResult(applied=tuple(todo), skipped=skipped)


def _git_apply(repo: Path, patches: list[Path], *extra: str) -> subprocess.CompletedProcess:
    git = shutil.which("git")
    if git is None:
        raise PatchError("`git` is needed to apply the patches (as a patch tool); install it, or apply "
                         f"{', '.join(str(p) for p in patches)} with `patch -p1`")
    return subprocess.run([git, "apply", *extra, *map(str, patches)], cwd=repo, capture_output=True, text=True)

"""The catalogue's version, as exports and the API name it.

`CATALOGUE_VERSION` from the environment when set (a deployment names its
commit); else the commit checked out, read from `.git` without running git
(a worktree's `.git` file and packed refs included); else the package version.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_VERSION = "1.0"


def _git_dir(base: Path) -> Path | None:
    dot_git = base / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            path = Path(text[len("gitdir:") :].strip())
            return path if path.is_absolute() else (base / path).resolve()
    return None


def git_commit(base: Path) -> str | None:
    """The commit checked out in `base`, or None when it can't be read."""
    try:
        git_dir = _git_dir(base)
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None  # a detached head is the commit itself
        ref = head[len("ref:") :].strip()
        common = git_dir
        if (git_dir / "commondir").is_file():
            common = (git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for directory in (git_dir, common):
            if (directory / ref).is_file():
                return (directory / ref).read_text(encoding="utf-8").strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                sha, _, name = line.partition(" ")
                if name.strip() == ref:
                    return sha
    except OSError:
        return None
    return None


def catalogue_version(base: Path, environ_value: str | None) -> str:
    if environ_value and environ_value.strip():
        return environ_value.strip()
    commit = git_commit(base)
    return f"git {commit[:12]}" if commit else PACKAGE_VERSION

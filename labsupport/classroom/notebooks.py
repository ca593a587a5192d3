"""Each learner's own copy of the notebooks, updated without losing their work.

The idea of nbgitpuller's merge: a file the learner never changed takes the instructor's
new version; a file they changed is kept as it is, and they are told so in one sentence; a
new file arrives; a file they deleted comes back only if the instructor changed it. What
was delivered is remembered as a hash per file in ``.queue-lab-delivered.json`` in the
copy, so "changed" means "differs from what we gave them", not "differs from today's".
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".queue-lab-delivered.json"
#: What a learner's copy holds: the lessons and the files they open beside them.
PATTERNS = ("*.ipynb", "*.md", "*.png", "*.svg", "*.json")


@dataclass
class Sync:
    copied: list[str] = field(default_factory=list)   # new to the learner
    updated: list[str] = field(default_factory=list)  # unchanged by them: replaced
    kept: list[str] = field(default_factory=list)     # changed by them: left alone

    def sentences(self) -> list[str]:
        lines = []
        if self.copied:
            lines.append(f"{len(self.copied)} notebook file(s) copied to your folder.")
        if self.updated:
            lines.append("Updated from the instructor's version (you had not changed them): "
                         + ", ".join(self.updated) + ".")
        for name in self.kept:
            lines.append(f"Kept your version of {name}: you changed it, so the instructor's "
                         f"update was not applied (rename yours and restart your server to "
                         f"get theirs).")
        return lines


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(source: Path) -> list[Path]:
    found = {p for pattern in PATTERNS for p in source.glob(pattern)
             if p.is_file() and not p.name.startswith(".")}
    return sorted(found)


def sync(source: Path, target: Path) -> Sync:
    """Bring ``target`` (the learner's folder) up to date with ``source`` (the lab's)."""
    target.mkdir(parents=True, exist_ok=True)
    manifest_path = target / MANIFEST
    delivered = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    result = Sync()
    for file in _files(source):
        name, new = file.name, _digest(file)
        mine = target / name
        given = delivered.get(name)
        if not mine.exists():
            if given == new:  # they deleted it and it has not changed since: respect that
                continue
            shutil.copyfile(file, mine)
            result.copied.append(name)
        elif _digest(mine) == new:
            pass  # already the instructor's current version
        elif given is not None and _digest(mine) == given:
            shutil.copyfile(file, mine)
            result.updated.append(name)
        else:
            result.kept.append(name)
            continue  # keep what we delivered before: "changed" stays relative to it
        delivered[name] = new
    manifest_path.write_text(json.dumps(delivered, indent=1, sort_keys=True))
    return result

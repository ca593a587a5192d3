"""Benchmarks and fault injection: figures that say how the lab and the service behave here.

Run them with ``python -m labsupport.bench <name>``; they print figures and assert nothing.
Figures saved to files go to :func:`results_folder` (``bench-results/``, git-ignored).
"""

from __future__ import annotations

from pathlib import Path

from ..paths import project_root


def results_folder() -> Path:
    """Where benchmarks save their figures: ``bench-results/`` in the project (git-ignored)."""
    return project_root() / "bench-results"

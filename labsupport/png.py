"""Figures in a notebook as bare PNG images: no figure repr text, so strict output
comparison (nbval) sees only what a cell prints. Used by every figure the lessons draw.
"""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure

DPI = 90    # the figures' resolution


def png_bytes(figure: Figure) -> bytes:
    """Render a Figure to PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def show_png(data: bytes) -> bool:
    """Display PNG bytes in a notebook as an image only (no text/plain); False outside one."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is installed with JupyterLab
        return False
    if get_ipython() is None:
        return False
    display({"image/png": base64.b64encode(data).decode("ascii")}, raw=True)
    return True

"""An IPython extension: a ``NameError`` before the Setup cells ran says so in one sentence.

A notebook opens with its saved outputs, as if it had run; a learner who runs a cell in
the middle gets ``NameError: name 'queue' is not defined``. While the kernel holds no
``Lab`` from ``labsupport.connect()`` (the Setup cell's ``lab``), such an error keeps its
usual traceback and gains one line, :data:`HINT`. Once the Setup cell has run, a
``NameError`` is shown untouched (it is then most likely a typo).

The kernel loads it before any cell runs: ``make install`` copies
``lab-settings/ipython_kernel_config.py`` to ``<venv>/etc/ipython/``, a folder IPython
reads its configuration from (``sys.prefix/etc/ipython``). It imports nothing but the
standard library until an error happens.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

HINT = ("Run this notebook's Setup cells first (from the one with labsupport.connect()): "
        "this kernel has not run them yet, and the outputs you see come from an earlier run.")


def setup_ran(namespace: Mapping[str, object]) -> bool:
    """True if the namespace holds a ``Lab`` that ``labsupport.connect()`` returned."""
    lab_module = sys.modules.get("labsupport.lab")
    return lab_module is not None and any(
        isinstance(value, lab_module.Lab) for value in list(namespace.values()))


def show_name_error(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception handler: the usual traceback, plus :data:`HINT` as an
    exception note (PEP 678, shown under the error line) while the Setup cells have not
    run."""
    if not setup_ran(shell.user_ns) and HINT not in getattr(value, "__notes__", ()):
        value.add_note(HINT)
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)


def load_ipython_extension(shell) -> None:
    shell.set_custom_exc((NameError,), show_name_error)


def unload_ipython_extension(shell) -> None:
    shell.set_custom_exc((), None)

"""The lab's own errors show as their one sentence in a notebook; others keep a traceback.

IPython (and so Jupyter) asks an exception for ``_render_traceback_()`` before it formats
a traceback. The cells run in a fresh IPython shell in a child process, as in a kernel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from labsupport.errors import ConfigError, LabError

SHELL = """\
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance(colors="nocolor")
shell.run_cell({cell!r})
"""


def ipython_output(cell: str, **env: str) -> list[str]:
    """What IPython prints when it runs ``cell``, as non-empty lines."""
    done = subprocess.run([sys.executable, "-c", SHELL.format(cell=textwrap.dedent(cell))],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LAB_PROGRESS": "0", **env})
    return [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]


def test_a_lab_error_renders_as_its_type_and_sentence():
    error = ConfigError("LAB_PREFIX='Q!' is invalid: use 2-10 lowercase letters.")
    assert error._render_traceback_() == [
        "ConfigError: LAB_PREFIX='Q!' is invalid: use 2-10 lowercase letters."]


def test_connect_with_a_configuration_mistake_shows_one_line_in_ipython(tmp_path):
    (tmp_path / "lab.env").write_text("", encoding="utf-8")
    lines = ipython_output("import labsupport\nlabsupport.connect()",
                           LAB_PREFIX="Q!", LAB_STATE_DIR=str(tmp_path),
                           LAB_ENV_FILE=str(tmp_path / "lab.env"))
    assert len(lines) == 1, lines
    assert lines[0].startswith("ConfigError: LAB_PREFIX='Q!' is invalid: "), lines


def test_an_unexpected_error_keeps_its_traceback():
    """The control: the same shell shows a full traceback for an error that is not ours."""
    lines = ipython_output("""\
        def divide(a, b):
            return a / b
        divide(1, 0)
        """)
    assert any("Traceback (most recent call last)" in line for line in lines), lines
    assert any(line.strip().startswith("----> 2") and "return a / b" in line
               for line in lines), lines
    assert lines[-1] == "ZeroDivisionError: division by zero"


def _subclasses(cls: type) -> list[type]:
    return [c for sub in cls.__subclasses__() for c in (sub, *_subclasses(sub))]


def test_every_lab_error_subclass_renders_without_a_traceback():
    import labsupport.payloads  # noqa: F401  (its errors are LabErrors too)

    assert len(_subclasses(LabError)) >= 8
    for cls in _subclasses(LabError):
        rendered = cls("say what to do")._render_traceback_()
        assert rendered == [f"{cls.__name__}: say what to do"]

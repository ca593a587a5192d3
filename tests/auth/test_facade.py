"""``labsupport.auth`` stays the one import notebook 02 needs, whatever module does the work."""

from __future__ import annotations

import ast
import json

import labsupport.auth
from labsupport.paths import project_root


def imported_from_auth(notebook: str) -> set[str]:
    cells = json.loads((project_root() / "notebooks" / notebook).read_text(encoding="utf-8"))
    names = set()
    for cell in cells["cells"]:
        if cell["cell_type"] == "code":
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if isinstance(node, ast.ImportFrom) and node.module == "labsupport.auth":
                    names |= {alias.name for alias in node.names}
    return names


def test_everything_notebook_02_imports_is_there():
    wanted = imported_from_auth("02_authenticate.ipynb")
    assert wanted >= {"AuthError", "access_table", "check_connection_string", "error_code",
                      "explain", "printable", "probe_queue_access", "sas_table", "token_claims"}
    assert wanted <= set(labsupport.auth.__all__)


def test_every_public_name_resolves():
    for name in labsupport.auth.__all__:
        assert getattr(labsupport.auth, name) is not None, name


def test_the_error_code_reader_is_the_one_home():
    from labsupport.patterns.error_codes import error_code

    assert labsupport.auth.error_code is error_code

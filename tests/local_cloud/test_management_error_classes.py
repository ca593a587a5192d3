"""ARM's error codes live in one module: localcloud/management/errors.py.

Handlers raise a class per code (its status and code are the class's); none spells a status
and a code inline. What the classes render on the wire is proved by the contract tests
(test_management_errors.py and the others); these check the module and its use.
"""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

from localcloud.management import errors
from localcloud.management.errors import ArmError

PACKAGE = Path(errors.__file__).resolve().parents[1]  # localcloud/


def inline_errors(source: str, where: str = "x.py") -> list[str]:
    """``where:line`` for every ``ArmError(...)`` call and every class made from ArmError."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "ArmError":
                found.append(f"{where}:{node.lineno}")
        elif isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", None)) == "ArmError"
                for base in node.bases):
            found.append(f"{where}:{node.lineno}")
    return sorted(found, key=lambda hit: int(hit.rpartition(":")[2]))


def error_classes() -> list[type[ArmError]]:
    return [value for value in vars(errors).values()
            if inspect.isclass(value) and issubclass(value, ArmError) and value is not ArmError]


def test_no_handler_writes_an_arm_error_inline():
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) if path.name != "errors.py"
             or path.parent.name != "management"
             for hit in inline_errors(path.read_text(), str(path.relative_to(PACKAGE)))]
    assert not found, f"raise a class of localcloud/management/errors.py instead: {found}"


def test_an_inline_arm_error_is_caught():
    source = ("from .errors import ArmError\n"
              "def f():\n    raise ArmError(400, 'InvalidTags', 'too many')\n"
              "class Mine(errors.ArmError):\n    pass\n")
    assert inline_errors(source) == ["x.py:3", "x.py:4"]


def test_one_class_per_code_and_status():
    classes = error_classes()
    assert len(classes) >= 40, "the module was not read"
    pairs = [(cls.code, cls.status) for cls in classes if cls is not errors.DataPlaneError]
    assert len(pairs) == len(set(pairs)), sorted(pairs)
    for cls in classes:
        assert 400 <= cls.status <= 599 and cls.code.isidentifier(), cls
        # A class is named for its code, or (a second status for a code) is a subclass
        # named for the case.
        assert cls.__name__ == cls.code or cls.__bases__[0] is not ArmError \
            or cls is errors.DataPlaneError, cls


def test_a_class_writes_the_body_arm_writes():
    response = errors.InvalidValuesForRequestParameters("keyName 'key3'.").response()
    assert response.status_code == 400
    assert json.loads(response.body) == {"error": {
        "code": "InvalidValuesForRequestParameters",
        "message": "Values for request parameters are invalid: keyName 'key3'."}}
    head = errors.RoleDefinitionInRequestDoesNotExist("x").response(head=True)
    assert (head.status_code, head.body) == (400, b"")
    assert errors.RoleDefinitionDoesNotExist("x").status == 404
    passed_on = errors.DataPlaneError(None, None, "no answer")
    assert (passed_on.status, passed_on.code) == (500, "StorageError")

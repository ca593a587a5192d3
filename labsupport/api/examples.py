"""Generate the example requests from the app's OpenAPI: a Postman collection and a .http file.

    python -m labsupport.api.examples            # write examples/queue-api.*
    python -m labsupport.api.examples --check    # exit 1 if the committed files are stale

The walk-through (:data:`WALKTHROUGH`) names each request's route by its operation id,
gives it a title, and says which response fields later requests need (``captures``); the
method, path, parameters, body and statuses come from the app's OpenAPI. The generator
turns captures into Postman test scripts that set collection variables, and into REST
Client request references in the ``.http`` file. Parameters and body fields named like a
variable (``message_id``, ``pop_receipt``) use it.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import project_root

BASE_URL = "http://127.0.0.1:8000"
#: The variable that holds the service's bearer token (labsupport.api.access): set by the
#: learner, never saved in these files.
TOKEN_VARIABLE = "apiToken"
TOKEN_FILE = ".lab/secrets/queue-api-8000.token"
VARIABLES = {"message_id": "messageId", "pop_receipt": "popReceipt"}
POSTMAN_SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
COLLECTION_NAME = "Queue API"


@dataclass(frozen=True)
class Example:
    """One request of the walk-through: its route's operation id, a title, and the fields
    of its answer that later requests use (variable -> path into the JSON answer)."""

    route: str
    title: str
    captures: dict[str, list] = field(default_factory=dict)


#: The walk-through, in order. A request names its route, never a position.
WALKTHROUGH = (
    Example("healthz", "Health check"),
    Example("get_queue", "Queue properties"),
    Example("send_message", "Send a message",
            {"messageId": ["id"], "popReceipt": ["pop_receipt"]}),
    Example("peek_messages", "Peek at messages"),
    Example("receive_messages", "Receive (lease) messages",
            {"messageId": [0, "id"], "popReceipt": [0, "pop_receipt"]}),
    Example("update_message", "Update the leased message", {"popReceipt": ["pop_receipt"]}),
    Example("delete_message", "Delete the message"),
    Example("pop_message", "Pop one message (receive + delete)"),
    Example("clear_messages", "Clear the queue"),
)


@dataclass
class Step:
    """One example request: a walk-through entry with its OpenAPI operation's details."""

    number: int  # its place in the walk-through, from 1
    name: str  # the route's operation id: names the request in the .http file
    title: str
    method: str
    path: str
    description: str
    query: list[tuple[str, str, bool]]  # (name, value, enabled)
    body: Any | None
    statuses: list[int]
    captures: dict[str, list] = field(default_factory=dict)


def openapi_document() -> dict:
    """The app's OpenAPI, built without connecting to anything."""
    from .app import create_app
    from .settings import QueueClientSettings

    settings = QueueClientSettings(account_url="https://127.0.0.1/unused", queue_name="queue-api",
                             credential=None)
    return create_app(settings).openapi()


def _value(schema: dict, parameter: dict) -> tuple[str, bool]:
    """An example value for a parameter, and whether the request sends it by default."""
    if parameter["name"] in VARIABLES:
        return "{{" + VARIABLES[parameter["name"]] + "}}", True
    examples = schema.get("examples") or parameter.get("examples")
    if isinstance(examples, list) and examples:
        return str(examples[0]), True
    default = schema.get("default")
    return ("" if default is None else str(default)), bool(parameter.get("required"))


def _with_variables(example: Any) -> Any:
    if isinstance(example, dict):
        return {key: ("{{" + VARIABLES[key] + "}}" if key in VARIABLES else _with_variables(v))
                for key, v in example.items()}
    return example


def _body_example(operation: dict, document: dict) -> Any | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return None
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    examples = schema.get("examples") or content.get("examples")
    if isinstance(examples, dict):  # OpenAPI "examples" object: {name: {value: ...}}
        examples = [item.get("value") for item in examples.values()]
    return _with_variables(examples[0]) if examples else {}


def operations(document: dict) -> dict[str, tuple[str, str, dict]]:
    """Every operation of an OpenAPI document by operation id: (method, path, operation)."""
    return {operation["operationId"]: (method, path, operation)
            for path, methods in document["paths"].items()
            for method, operation in methods.items()}


def steps(document: dict) -> list[Step]:
    """The walk-through's requests, in order, each filled in from its route's operation."""
    routes = operations(document)
    missing = [example.route for example in WALKTHROUGH if example.route not in routes]
    if missing:
        raise LookupError(f"The walk-through names routes the API does not have: {missing}. "
                          f"Use the operation ids of labsupport/api/routes.py.")
    found = []
    for number, example in enumerate(WALKTHROUGH, start=1):
        method, url_path, operation = routes[example.route]
        query = []
        for parameter in operation.get("parameters", []):
            value, enabled = _value(parameter.get("schema", {}), parameter)
            if parameter["in"] == "path":
                url_path = url_path.replace("{" + parameter["name"] + "}", value)
            elif parameter["in"] == "query":
                query.append((parameter["name"], value, enabled))
        statuses = sorted(int(code) for code in operation["responses"] if code.startswith("2"))
        description = (operation.get("description") or operation.get("summary") or "").strip()
        found.append(Step(
            number=number, name=example.route, title=example.title, method=method.upper(),
            path=url_path, description=description, query=query,
            body=_body_example(operation, document), statuses=statuses,
            captures=example.captures))
    return found


# --- Postman collection v2.1 -------------------------------------------------------------

def _test_script(step: Step) -> list[str]:
    codes = json.dumps(step.statuses)
    lines = [
        f'pm.test("{step.title}: status {" or ".join(map(str, step.statuses))}", function () {{',
        f"    pm.expect(pm.response.code).to.be.oneOf({codes});",
        "});",
    ]
    if step.captures:
        lines += [
            "// Keep what later requests need (the first message, if any).",
            "const body = pm.response.code === 204 ? null : pm.response.json();",
            "const pick = (data, path) => path.reduce((v, k) => (v == null ? v : v[k]), data);",
        ]
        for variable, path in step.captures.items():
            lines += [
                f"const {variable} = pick(body, {json.dumps(path)});",
                f'if ({variable} != null) {{ pm.collectionVariables.set("{variable}", '
                f"{variable}); }}",
            ]
    return lines


def postman_collection(document: dict) -> dict:
    """A Postman v2.1 collection: one request per step, variables chained by test scripts."""
    items = []
    for step in steps(document):
        segments = [s for s in step.path.split("/") if s]
        query = [{"key": k, "value": v, **({} if on else {"disabled": True})}
                 for k, v, on in step.query]
        raw_query = "&".join(f"{k}={v}" for k, v, on in step.query if on)
        request: dict[str, Any] = {
            "method": step.method,
            "header": [{"key": "Accept", "value": "application/json"}],
            "url": {
                "raw": "{{baseUrl}}" + step.path + (f"?{raw_query}" if raw_query else ""),
                "host": ["{{baseUrl}}"],
                "path": segments,
                **({"query": query} if query else {}),
            },
            "description": step.description,
        }
        if step.body is not None:
            request["header"].append({"key": "Content-Type", "value": "application/json"})
            request["body"] = {"mode": "raw", "raw": json.dumps(step.body, indent=2),
                               "options": {"raw": {"language": "json"}}}
        items.append({
            "name": f"{step.number} · {step.title}",
            "event": [{"listen": "test",
                       "script": {"type": "text/javascript", "exec": _test_script(step)}}],
            "request": request,
        })
    variables = [{"key": "baseUrl", "value": BASE_URL}]  # apiToken: an environment's, below
    variables += [{"key": name, "value": ""} for name in VARIABLES.values()]
    return {
        "info": {
            "_postman_id": str(uuid.uuid5(uuid.NAMESPACE_URL, "queue-lab/queue-api")),
            "name": COLLECTION_NAME,
            "description": document["info"].get("description", "")
            + "\n\nGenerated by `python -m labsupport.api.examples` from the app's OpenAPI: "
              "do not edit by hand. Start the service with `python -m labsupport api` and "
              "run the requests in order. The service answers only its owner: put its token "
              f"(the file {TOKEN_FILE}, new at each start) in a Postman environment's "
              f"secret variable `{TOKEN_VARIABLE}`, so this collection never holds it.",
            "schema": POSTMAN_SCHEMA,
        },
        "auth": {"type": "bearer", "bearer": [
            {"key": "token", "value": "{{" + TOKEN_VARIABLE + "}}", "type": "string"}]},
        "item": items,
        "variable": variables,
    }


# --- .http file (VS Code REST Client) ----------------------------------------------------

def _reference(variable: str, earlier: list[Step]) -> str:
    for step in reversed(earlier):
        if variable in step.captures:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                           for p in step.captures[variable])
            return "{{" + f"{step.name}.response.body.${path}" + "}}"
    return "{{" + variable + "}}"


def _resolve(text: str, earlier: list[Step]) -> str:
    for variable in VARIABLES.values():
        text = text.replace("{{" + variable + "}}", _reference(variable, earlier))
    return text


def http_file(document: dict) -> str:
    """Requests for VS Code's REST Client; later requests reuse earlier responses by name."""
    lines = [
        "# Queue API — example requests for the VS Code REST Client extension.",
        "# Generated by `python -m labsupport.api.examples` from the app's OpenAPI: do not edit.",
        "# Start the service (`python -m labsupport api`), then send the requests in order:",
        "# later ones reuse the message id and pop receipt of earlier responses.",
        "# The service answers only its owner: after `@apiToken =` paste its token, the",
        f"# content of {TOKEN_FILE} (new at each start; do not commit it).",
        "",
        f"@baseUrl = {BASE_URL}",
        f"@{TOKEN_VARIABLE} =",
        "",
    ]
    done: list[Step] = []
    for step in steps(document):
        query = "&".join(f"{k}={v}" for k, v, on in step.query if on)
        url = "{{baseUrl}}" + step.path + (f"?{query}" if query else "")
        lines += ["###", f"# {step.number} · {step.title}"]
        summary = step.description.split("\n\n")[0]
        lines += [f"# {line}".rstrip() for line in summary.splitlines()]
        lines += [f"# @name {step.name}", f"{step.method} {_resolve(url, done)}",
                  "Accept: application/json",
                  "Authorization: Bearer {{" + TOKEN_VARIABLE + "}}"]
        if step.body is not None:
            lines += ["Content-Type: application/json", "",
                      _resolve(json.dumps(step.body, indent=2), done)]
        lines.append("")
        done.append(step)
    return "\n".join(lines)


# --- files --------------------------------------------------------------------------------

def outputs(root: Path | None = None) -> dict[Path, str]:
    """Every generated file and its expected text."""
    root = root or project_root()
    document = openapi_document()
    folder = root / "examples"
    return {
        folder / "queue-api.postman_collection.json":
            json.dumps(postman_collection(document), indent=2, ensure_ascii=False) + "\n",
        folder / "queue-api.http": http_file(document),
    }


def stale(root: Path | None = None) -> list[Path]:
    """Generated files that are missing or differ from what the app's OpenAPI gives now."""
    return [path for path, text in outputs(root).items()
            if not path.is_file() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport.api.examples",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a generated file is out of date")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for path in old:
            print(f"out of date: {path.relative_to(project_root())} "
                  f"(run `python -m labsupport.api.examples`)")
        return 1 if old else 0
    for path, text in outputs().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(project_root())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

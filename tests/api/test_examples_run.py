"""Run the committed example requests against the service, in order, as their tools would:
the Postman collection (test scripts run by Node with a minimal ``pm``) and the .http file
(REST Client's ``{{name.response.body.$...}}`` references)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from labsupport.api import create_app
from labsupport.paths import project_root

with warnings.catch_warnings():  # Starlette's TestClient deprecation (see conftest.py)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EXAMPLES = project_root() / "examples"
SHIM = Path(__file__).with_name("postman_shim.js")
TOKEN = "the-services-token"  # the service answers only requests that carry it


@pytest.fixture
def client(settings):
    """The app as served: it refuses requests without its bearer token."""
    with TestClient(create_app(settings, access_token=TOKEN),
                    raise_server_exceptions=False) as test_client:
        yield test_client


def substitute(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: variables[m.group(1)], text)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js runs the Postman scripts")
def test_the_postman_collection_runs_in_order_and_chains_its_variables(client):
    collection = json.loads((EXAMPLES / "queue-api.postman_collection.json").read_text())
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    variables["baseUrl"] = ""  # the TestClient takes paths
    variables["apiToken"] = TOKEN  # what the learner puts in a Postman environment
    assert collection["auth"]["type"] == "bearer"
    auth = {"Authorization": "Bearer " + substitute(collection["auth"]["bearer"][0]["value"],
                                                    variables)}
    seen = {}
    for item in collection["item"]:
        request = item["request"]
        body = request.get("body", {}).get("raw")
        answer = client.request(request["method"], substitute(request["url"]["raw"], variables),
                                content=substitute(body, variables) if body else None,
                                headers={**auth, **{h["key"]: h["value"]
                                                    for h in request["header"]}})
        script = "\n".join(item["event"][0]["script"]["exec"])
        ran = subprocess.run(["node", str(SHIM)], input=json.dumps({
            "code": answer.status_code, "body": answer.text, "script": script,
            "variables": variables}), capture_output=True, text=True, timeout=60, check=True)
        outcome = json.loads(ran.stdout)
        assert [r[1] for r in outcome["results"]] == [True], (item["name"], outcome["results"])
        variables = outcome["variables"]
        seen[item["name"].split(" · ")[1]] = answer.status_code
    assert seen["Update the leased message"] == 200
    assert seen["Delete the message"] == 204
    assert variables["messageId"] and variables["popReceipt"]


def http_requests(text: str):
    """(name, method, target, headers, body) for each request of a REST Client file."""
    for block in text.split("###")[1:]:
        lines = [line for line in block.strip("\n").splitlines()
                 if not line.startswith("#") or line.startswith("# @name")]
        name = lines.pop(0).split()[-1]
        method, target = lines.pop(0).split(" ", 1)
        headers = {}
        while lines and lines[0]:
            key, value = lines.pop(0).split(": ", 1)
            headers[key] = value
        yield name, method, target, headers, "\n".join(lines[1:]).strip() or None


def resolve(text: str, responses: dict) -> str:
    def reference(match):
        name, path = match.group(1), match.group(2)
        value = responses[name]
        for index, key in re.findall(r"\[(\d+)\]|\.(\w+)", path):
            value = value[int(index)] if index else value[key]
        return str(value)

    text = text.replace("{{baseUrl}}", "")
    return re.sub(r"\{\{(\w+)\.response\.body\.\$([^}]*)\}\}", reference, text)


def test_the_http_file_runs_in_order_with_its_references(client):
    text = (EXAMPLES / "queue-api.http").read_text()
    assert "@baseUrl = http://127.0.0.1:8000" in text
    assert "@apiToken =\n" in text, "the token is pasted by the learner, never committed"
    responses, statuses = {}, {}
    for name, method, target, headers, body in http_requests(text):
        headers = {key: value.replace("{{apiToken}}", TOKEN) for key, value in headers.items()}
        answer = client.request(method, resolve(target, responses), headers=headers,
                                content=resolve(body, responses) if body else None)
        assert 200 <= answer.status_code < 300, (name, answer.status_code, answer.text)
        responses[name] = answer.json() if answer.content else None
        statuses[name] = answer.status_code
    assert (statuses["update_message"], statuses["delete_message"]) == (200, 204)

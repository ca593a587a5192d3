"""Lesson 07's poison loop and labsupport.patterns.poison (its tested copy) agree.

The notebook's cell tagged ``poison-loop`` is read with nbformat; its constants and
functions (and the notebook's imports) are run here, untouched, against the local cloud.
One scenario — a good order, one that always fails, one that fails twice, one whose
consumers crashed too often, and two whose pop receipts go stale while they are being
processed — runs once through the notebook's ``consume`` and once through
``poison.consume``, each on fresh queues with traced clients. The outcomes, every
message's story and the requests on the wire (operation, status, error code) must be the
same; a mutated copy of the cell must not pass, so the comparison can tell them apart.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from labsupport.patterns import poison as copy
from labsupport.trace import Tracer

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / \
    "07_duplicates_and_poison_messages.ipynb"


def notebook_cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def loop_source() -> str:
    [cell] = [c for c in notebook_cells() if "poison-loop" in c.metadata.get("tags", [])]
    return cell.source


def load_loop(source: str) -> dict:
    """The cell's definitions, run with the notebook's own imports (and nothing else)."""
    namespace: dict = {}
    setup = next(c for c in notebook_cells() if c.cell_type == "code")
    imports = [n for n in ast.parse(setup.source).body
               if isinstance(n, (ast.Import, ast.ImportFrom))]
    exec(compile(ast.Module(body=imports, type_ignores=[]), "07-imports", "exec"), namespace)
    definitions = [n for n in ast.parse(source).body
                   if isinstance(n, (ast.FunctionDef, ast.Assign))]
    assert {n.name for n in definitions if isinstance(n, ast.FunctionDef)} >= {
        "move_to_poison", "process_or_poison", "consume"}
    exec(compile(ast.Module(body=definitions, type_ignores=[]), "07-poison-loop", "exec"),
         namespace)
    return namespace


def label(text: str) -> str:
    return json.loads(text)["order"]


class Scenario:
    """Six orders on fresh queues; ``run(consume)`` drains them and reports what happened."""

    def __init__(self, lab, service, name: str):
        self.lab, self.service = lab, service
        self.queue = service.create_queue(name)
        self.poison = service.create_queue(f"{name}-poison")
        self.tracer = Tracer(labeler=label)
        self.consumer = self.tracer.client(self.queue, "consumer")
        self.copier = self.tracer.client(self.poison, "consumer", send_as="copy to poison")
        self.other = self.tracer.client(self.queue, "other consumer")
        self.calls: list[tuple[str, int]] = []
        self.kept = []  # leases the other consumer still holds at the end

    def close(self) -> None:
        self.service.delete_queue(self.queue.queue_name)
        self.service.delete_queue(self.poison.queue_name)

    def send(self, order: str) -> None:
        self.queue.send_message(json.dumps({"order": order}))

    def prepare(self) -> None:
        # "crashes": received 5 times by consumers that died (leases given back, no failure)
        self.send("crashes")
        for _ in range(5):
            message = self.queue.receive_message(visibility_timeout=30)
            self.queue.update_message(message.id, message.pop_receipt, visibility_timeout=0)
        for order in ("good", "bad", "flaky", "stolen-kept", "stolen-done"):
            self.send(order)

    def process(self, message) -> None:
        order = label(message.content)
        self.calls.append((order, message.dequeue_count))
        if order == "bad" or (order == "flaky" and message.dequeue_count < 3):
            raise ValueError(f"cannot process {order}")
        if order.startswith("stolen"):
            # another holder of the receipt updates the message while we work: it gets a new
            # pop receipt, ours goes stale (as when a lease runs out and someone receives it)
            taken = self.other.update_message(message.id, message.pop_receipt,
                                              visibility_timeout=60)
            if order == "stolen-done":
                self.other.delete_message(message.id, taken.pop_receipt)  # gone: Azurite 404
            else:
                self.kept.append((message.id, taken.pop_receipt))  # still there: Azurite 400

    def run(self, consume) -> dict:
        self.prepare()
        outcomes = [(label(m.content), m.dequeue_count, outcome) for m, outcome in consume()]
        for message_id, pop_receipt in self.kept:
            self.other.delete_message(message_id, pop_receipt)
        wire = Counter((e.actor, e.operation, e.status, e.error_code)
                       for e in self.tracer.exchanges)
        poisoned = self.poison.peek_messages(max_messages=32)
        return {
            "outcomes": sorted(outcomes),
            "calls": sorted(self.calls),
            "stories": sorted(self.tracer.story()),
            "wire": wire,
            "poisoned": sorted((label(m.content), (m.expires_on - m.inserted_on).days)
                               for m in poisoned),
            "left": self.queue.peek_messages(max_messages=32),
        }


@pytest.fixture
def scenario(lab, service):
    made = []

    def make(topic: str) -> Scenario:
        made.append(Scenario(lab, service, lab.new_queue_name(topic)))
        return made[-1]

    yield make
    for each in made:
        each.close()


def run_notebook(scenario, source: str) -> dict:
    loop = load_loop(source)
    return scenario.run(lambda: loop["consume"](scenario.consumer, scenario.process,
                                                scenario.copier))


def run_copy(scenario) -> dict:
    return scenario.run(lambda: copy.consume(scenario.consumer, scenario.process,
                                             poison_queue=scenario.copier))


EXPECTED_OUTCOMES = sorted([
    ("crashes", 6, "poisoned"),
    ("good", 1, "done"),
    ("bad", 1, "retry"), ("bad", 2, "retry"), ("bad", 3, "retry"), ("bad", 4, "retry"),
    ("bad", 5, "poisoned"),
    ("flaky", 1, "retry"), ("flaky", 2, "retry"), ("flaky", 3, "done"),
    ("stolen-kept", 1, "lease lost"),
    ("stolen-done", 1, "lease lost"),
])


def test_the_notebook_states_the_functions_defaults():
    namespace = load_loop(loop_source())
    assert namespace["MAX_DEQUEUE_COUNT"] == copy.MAX_DEQUEUE_COUNT == 5
    assert namespace["BATCH_SIZE"] == copy.BATCH_SIZE == 16


def test_the_notebook_loop_and_the_copy_do_the_same_on_the_wire(scenario):
    notebook = run_notebook(scenario("poison-nb"), loop_source())
    tested = run_copy(scenario("poison-copy"))

    assert notebook["outcomes"] == EXPECTED_OUTCOMES
    assert ("crashes", 6) not in notebook["calls"], "a message past the limit is not processed"
    assert notebook["poisoned"] == [("bad", 7), ("crashes", 7)], \
        "copies keep the default time to live, 7 days, as the Functions host's do"
    assert notebook["left"] == []
    # both stale-receipt answers were seen and recognised
    assert notebook["wire"][("consumer", "delete", 404, "MessageNotFound")] == 1
    assert notebook["wire"][("consumer", "delete", 400, "PopReceiptMismatch")] == 1

    for key in ("outcomes", "calls", "stories", "wire", "poisoned", "left"):
        assert notebook[key] == tested[key], key


def test_a_mutated_loop_is_told_apart(scenario):
    """Control: poisoning one try later (> instead of >=) changes what goes on the wire."""
    source = loop_source()
    mutated = source.replace("message.dequeue_count >= MAX_DEQUEUE_COUNT",
                             "message.dequeue_count > MAX_DEQUEUE_COUNT")
    assert mutated != source
    notebook = run_notebook(scenario("poison-mut"), mutated)
    tested = run_copy(scenario("poison-copy"))
    assert notebook["outcomes"] != tested["outcomes"]
    assert notebook["wire"] != tested["wire"]

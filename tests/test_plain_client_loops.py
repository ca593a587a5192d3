"""Every traced loop of lessons 04–07 works on a plain ``QueueClient``, pasted as it is.

The lessons' actors are ``QueueClient``s that a ``Tracer`` built with recording hooks. A
learner copies the loops into an application that has plain clients, with no hooks. This
runs each of those notebooks top to bottom with the notebook's ``Tracer`` handing out plain
clients of the same queue, and checks that every cell runs (no loop spins forever: each cell has
a deadline) and prints the same messages as the stored, traced run. Cells that print what
the tracer recorded (timelines, tables, stories) have nothing to show without hooks and
are only required to run.

The loops are in 05 (delete what a batch received), 06 (receive until nothing is visible,
alone and in three threads) and 07 (the poison-handling consumer). 04 has none (its actors
make single calls), so it is not run again here; a test below finds the notebooks whose
loops do more than send with traced clients, so one that gains such a loop cannot be
left out (12 only sends in a loop).
"""

from __future__ import annotations

import ast
import configparser
import os
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
#: The lessons with loops over what traced clients receive (see above: 04 has none).
NOTEBOOKS = ["05_time_to_live.ipynb", "06_out_of_order_redelivery.ipynb",
             "07_duplicates_and_poison_messages.ipynb"]

#: Rebinds the notebook's ``Tracer`` only (the exercise checks keep recording).
PLAIN_CLIENTS = '''
import labsupport.trace as _trace


class Tracer(_trace.Tracer):
    handed_out = 0

    def client(self, queue, actor, *, send_as="send"):
        """A QueueClient of the same queue with no hooks: what a learner's app has."""
        Tracer.handed_out += 1
        return type(queue).from_queue_url(
            queue.url, credential=queue.credential, api_version=queue.api_version,
            message_encode_policy=queue._message_encode_policy,
            message_decode_policy=queue._message_decode_policy)
'''
#: Cells whose output comes from the tracer's recording: they must run, not match.
RECORDED = re.compile(r"\btimeline\(|\.table\(\)|\.story\(|print_story|\.processed\(|"
                      r"\.events\b|\.exchanges\b|\.requests\(\)")


def sanitize(text: str) -> str:
    """Apply the same masks as strict nbval (tests/nbval_sanitize.cfg)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "nbval_sanitize.cfg", encoding="utf-8")
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    return text


def printed(cell) -> str:
    return sanitize("".join(o.get("text", "") for o in cell.get("outputs", [])
                            if o.get("output_type") == "stream" and o.get("name") == "stdout"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_lessons_loops_run_on_plain_clients(name, lab_config, cloud):
    path = ROOT / "notebooks" / name
    stored = nbformat.read(path, as_version=4)
    run = nbformat.read(path, as_version=4)
    first = next(i for i, c in enumerate(run.cells) if c.cell_type == "code")
    run.cells.insert(first + 1, nbformat.v4.new_code_cell(PLAIN_CLIENTS))
    run.cells.append(nbformat.v4.new_code_cell("print(Tracer.handed_out)"))
    env = {"LAB_STATE_DIR": str(lab_config.state_dir), "LAB_PROGRESS": "0"}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(run, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    handed_out = int(printed(run.cells.pop()))
    assert handed_out >= 2, "the notebook's actors got plain clients"
    del run.cells[first + 1]
    compared = 0
    for before, after in zip(stored.cells, run.cells, strict=True):
        if before.cell_type != "code" or RECORDED.search(before.source):
            continue
        assert printed(after) == printed(before), f"a different result with plain clients:\n" \
                                                  f"{before.source[:300]}"
        compared += 1
    assert compared >= 5, "the notebook's demo cells were compared"


def traced_loops(path: Path) -> list[str]:
    """The loops (``for``/``while``) of a notebook's code that do more with a client a Tracer
    made than send to it: receive, peek, delete, update, or hand the client to a function."""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    to_python = TransformerManager().transform_cell       # a cell's `!az …` lines, as IPython
    trees = [ast.parse(to_python(source)) for source in cells
             if not source.lstrip().startswith("%")]
    traced = {target.id for tree in trees for node in ast.walk(tree)
              if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
              and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "client"
              for target in node.targets if isinstance(target, ast.Name)}

    def sends_only(loop: ast.AST, name: ast.Name) -> bool:
        return any(isinstance(node, ast.Attribute) and node.value is name
                   and node.attr == "send_message" for node in ast.walk(loop))

    return [ast.unparse(node).splitlines()[0] for tree in trees for node in ast.walk(tree)
            if isinstance(node, ast.For | ast.While)
            and any(isinstance(name, ast.Name) and name.id in traced
                    and not sends_only(node, name) for name in ast.walk(node))]


def test_every_lesson_with_a_traced_loop_is_run_on_plain_clients():
    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    with_loops = [path.name for path in lessons if traced_loops(path)]
    assert with_loops == NOTEBOOKS, f"run these on plain clients: {with_loops}"


def test_a_loop_that_only_sends_is_not_counted_and_one_that_receives_is(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        'queue = tracer.client(q, "producer")\n'
        "for n in range(3):\n    queue.send_message(str(n))\n")])
    path = tmp_path / "sends.ipynb"
    nbformat.write(notebook, path)
    assert traced_loops(path) == []
    notebook.cells.append(nbformat.v4.new_code_cell(
        "for message in queue.receive_messages(max_messages=3, messages_per_page=3):\n"
        "    queue.delete_message(message)\n"))
    nbformat.write(notebook, path)
    assert traced_loops(path) == ["for message in queue.receive_messages(max_messages=3, "
                                  "messages_per_page=3):"]

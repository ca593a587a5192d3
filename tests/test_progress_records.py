"""Progress records: a real check run records its verdict (never code, never a secret);
``python -m labsupport progress`` shows a learner's table; ``class progress`` gathers
learners into lessons × learners (and a PNG); bad input gets one clear sentence."""

from __future__ import annotations

import ast
import inspect
import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import labsupport.checks as checks_package
from labsupport.__main__ import main
from labsupport.checks import records
from labsupport.checks.auth import check_worker_sas
from labsupport.checks.delivery import check_resequencer
from labsupport.errors import ConfigError
from labsupport.lessons import LESSONS
from labsupport.paths import project_root
from labsupport.redact import looks_secret

SIGNATURE = "Qm9ndXNTaWduYXR1cmVGb3JUZXN0aW5n%3D"


class Resequencer:
    """A right solution (the notebook's)."""

    MARKER = "learner-code-marker-7f3a"  # must never reach the records

    def __init__(self):
        self.next_seq, self.waiting = 1, {}

    def accept(self, seq, event):
        if seq < self.next_seq:
            return []
        self.waiting[seq] = event
        ready = []
        while self.next_seq in self.waiting:
            ready.append(self.waiting.pop(self.next_seq))
            self.next_seq += 1
        return ready


class ArrivalOrder:
    """A wrong one: applies events as they arrive."""

    def accept(self, seq, event):  # learner-code-marker-7f3a
        return [event]


@pytest.fixture
def state(tmp_path, monkeypatch):
    folder = tmp_path / "state"
    monkeypatch.setenv("LAB_STATE_DIR", str(folder))
    return folder


def lines(state: Path) -> list[dict]:
    return [json.loads(line) for line in (state / records.FILE_NAME).read_text().splitlines()]


def test_a_real_check_run_records_its_verdict(state, capsys):
    assert not check_resequencer(ArrivalOrder)
    assert check_resequencer(Resequencer)
    first, second = lines(state)
    assert (first["lesson"], first["exercise"], first["passed"]) == (
        "06", "check_resequencer", False)
    assert first["problems"] == check_resequencer(ArrivalOrder).problems, \
        "the record keeps what the learner was told"
    assert (second["passed"], second["problems"]) == (True, [])
    assert set(first) == {"lesson", "exercise", "passed", "problems", "time"}
    assert stat.S_IMODE((state / records.FILE_NAME).stat().st_mode) == 0o600


def test_a_record_never_holds_code_or_a_secret(state, capsys):
    check_resequencer(ArrivalOrder)
    sas = f"sv=2024-08-04&sp=rp&se=tomorrow&sig={SIGNATURE}"  # refused before any request
    assert not check_worker_sas(sas, None, "orders")
    check_worker_sas(None, None, "orders")
    # A problem sentence that quoted a secret is kept redacted.
    records.record("check_worker_sas", [f"this SAS was refused: ?sp=r&sig={SIGNATURE}"])
    text = (state / records.FILE_NAME).read_text()
    assert [r["exercise"] for r in lines(state)] == [
        "check_resequencer", "check_worker_sas", "check_worker_sas", "check_worker_sas"]
    assert Resequencer.MARKER not in text and "def accept" not in text
    assert SIGNATURE not in text and not looks_secret(text)


def test_report_outside_a_check_records_nothing(state, capsys):
    checks_package.report(["something"], "")
    assert not (state / records.FILE_NAME).exists()


def test_long_problems_are_shortened():
    found = records.verdict("check_heartbeat", ["x" * 1000])
    assert len(found.problems[0]) == records.MAX_PROBLEM


def test_the_learners_table(state, capsys):
    check_resequencer(ArrivalOrder)
    check_resequencer(Resequencer)
    check_worker_sas(None, None, "orders")
    table = records.progress_table()
    assert list(table["exercise"]) == [title for _, title in records.EXERCISES.values()]
    by_check = dict(zip(records.EXERCISES, table.to_dict("records"), strict=True))
    assert by_check["check_resequencer"]["verdict"] == "passed"
    assert by_check["check_resequencer"]["checks"] == 2
    assert by_check["check_worker_sas"]["verdict"] == "not yet"
    assert by_check["check_worker_sas"]["still to fix"].startswith("no SAS yet")
    assert by_check["check_heartbeat"]["verdict"] == "not tried"
    capsys.readouterr()
    assert main(["progress"]) == 0
    out = capsys.readouterr().out
    assert "06 · Out-of-order redelivery" in out and "1 of 13 exercises passed" in out


def test_the_class_table_and_picture(tmp_path, monkeypatch, capsys):
    ana, ben, cleo = tmp_path / "ana", tmp_path / "ben", tmp_path / "cleo"
    monkeypatch.setenv("LAB_STATE_DIR", str(ana))
    check_resequencer(Resequencer)
    monkeypatch.setenv("LAB_STATE_DIR", str(ben))
    check_resequencer(ArrivalOrder)
    cleo.mkdir()  # no check yet: an empty column
    table = records.class_table([f"ana={ana}", f"ben={ben}", f"cleo={cleo}"])
    assert list(table.columns) == ["ana", "ben", "cleo"]
    assert table.loc["06 · Out-of-order redelivery"].tolist()[:2] == [1.0, 0.0]
    assert table["cleo"].isna().all()
    assert len(table) == len({lesson for lesson, _ in records.EXERCISES.values()})
    picture = records.class_picture(table, tmp_path / "class.png")
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    capsys.readouterr()
    assert main(["class", "progress", f"ana={ana}", f"ben={ben}", "--png",
                 str(tmp_path / "cli.png")]) == 0
    out = capsys.readouterr().out
    assert "100%" in out and "0%" in out and (tmp_path / "cli.png").is_file()


def test_one_learner_without_a_hub_finds_the_lab_under_a_home_folder(tmp_path, monkeypatch,
                                                                       capsys):
    home = tmp_path / "home"
    monkeypatch.setenv("LAB_STATE_DIR", str(home / "queue-lab" / ".lab"))
    check_resequencer(Resequencer)
    table = records.class_table([str(home)])
    assert table.iloc[:, 0].dropna().tolist() == [1.0]


def test_bad_input_gets_one_sentence(tmp_path, capsys):
    with pytest.raises(ConfigError, match="does not exist"):
        records.class_table([str(tmp_path / "nobody")])
    with pytest.raises(ConfigError, match="at least one learner"):
        records.class_table([])
    broken = tmp_path / "broken" / records.FILE_NAME
    broken.parent.mkdir()
    broken.write_text('{"lesson": "06"}\nnot json\n')
    with pytest.raises(ConfigError, match=r"Line 1 of .* is not a progress record"):
        records.class_table([str(broken)])
    with pytest.raises(ConfigError, match="Two learners are named 'x'"):
        records.class_table([f"x={tmp_path}", f"x={tmp_path}"])
    assert main(["class", "progress", str(tmp_path / "nobody")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1


def test_the_cli_runs_as_a_module(tmp_path):
    finished = subprocess.run([sys.executable, "-m", "labsupport", "progress"],
                              env={"LAB_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert "0 of 13 exercises passed" in finished.stdout


# --- the exercise table agrees with the checks and the notebooks ------------------------

def check_functions() -> dict[str, str]:
    """Every public ``check_*`` function in labsupport/checks that ends in ``report``."""
    found = {}
    folder = Path(inspect.getfile(checks_package)).parent
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.name.startswith("check_"):
                calls = {n.func.id for n in ast.walk(node)
                         if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
                if "report" in calls:
                    found[node.name] = path.stem
    return found


def test_every_exercise_check_is_in_the_table_with_its_lesson():
    assert set(check_functions()) == set(records.EXERCISES)
    numbers = {lesson.number: lesson for lesson in LESSONS}
    for name, (lesson, _) in records.EXERCISES.items():
        notebook = project_root() / "notebooks" / numbers[lesson].file
        assert f"{name}(" in notebook.read_text(encoding="utf-8"), (
            f"{name} is not called in {notebook.name}")


def test_a_record_that_cannot_be_written_never_fails_the_check(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("LAB_STATE_DIR", str(blocker / "state"))  # cannot be created
    assert check_resequencer(Resequencer)
    assert "✅" in capsys.readouterr().out

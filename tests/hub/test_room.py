"""§3, the room test, as a test: N learners at once run lessons 03-07 with no failure.

Minutes long, so not part of `make test`: it runs when QUEUE_LAB_ROOM=N is set
(`QUEUE_LAB_ROOM=4 .venv/bin/python -m pytest -m room tests/hub/test_room.py`), and is
skipped with that reason otherwise. classroom/room_test.py is the same run as a script
that also writes the figures docs/CLASSROOM.md reports.
"""

from __future__ import annotations

import os
import sys

import pytest

from .conftest import PROJECT, require_root

pytestmark = [pytest.mark.room, pytest.mark.hub, pytest.mark.timeout(3600)]


def test_a_room_of_learners_runs_the_lessons_without_failure(tmp_path):
    count = int(os.environ.get("QUEUE_LAB_ROOM", "0"))
    if not count:
        pytest.skip("the room test takes minutes: set QUEUE_LAB_ROOM=N to run it with N "
                    "learners (docs/CLASSROOM.md)")
    require_root()
    sys.path.insert(0, str(PROJECT / "classroom"))
    from room_test import LESSONS, room

    tmp_path.chmod(0o755)
    result = room(count, tmp_path)
    assert result["failures"] == 0, result
    for learner in result["room"]:
        assert sorted(learner["lessons"]) == sorted(LESSONS)

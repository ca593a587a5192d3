"""`class add-learners` input and its one-sentence errors (no root needed)."""

from __future__ import annotations

import pytest

from labsupport.__main__ import main
from labsupport.classroom import accounts


def test_without_root_it_says_so_in_one_sentence(monkeypatch, capsys):
    monkeypatch.setattr(accounts.os, "geteuid", lambda: 1000)
    assert main(["class", "add-learners", "ana"]) == 2
    message = capsys.readouterr().err.strip()
    assert message == ("error: add-learners creates or removes Unix users, which needs root: "
                       "run it with sudo (or as root) on the hub's machine.")


@pytest.mark.parametrize("names, wrong", [(["Ana"], "'Ana' is not a usable learner name"),
                                          (["ana", "ana"], "a learner name is given twice"),
                                          (["root;rm"], "'root;rm' is not a usable"),
                                          (["-x"], "'-x' is not a usable")])
def test_bad_names_are_refused_before_anything_changes(monkeypatch, names, wrong):
    monkeypatch.setattr(accounts.os, "geteuid", lambda: 0)
    monkeypatch.setattr(accounts.subprocess, "run", lambda *a, **k: pytest.fail("ran " + str(a)))
    with pytest.raises(accounts.ConfigError, match=wrong):
        accounts.add_learners(names)


def test_good_names_pass():
    assert accounts.check_names(["ana", "ben2", "c_d-e"]) == ["ana", "ben2", "c_d-e"]


def test_learner_names_stay_valid_user_names_for_a_room_of_forty():
    from labsupport.classroom.accounts import check_names

    from .conftest import learner_names

    names = learner_names("r", 41)
    assert len(set(names)) == 41 and names[0].endswith("a") and names[26].endswith("aa")
    assert check_names(names) == names

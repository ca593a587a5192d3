"""A learner's copy of the notebooks: updates arrive, their work is never overwritten."""

from __future__ import annotations

from labsupport.classroom.notebooks import sync


def test_merge_rules(tmp_path):
    lab, mine = tmp_path / "lab", tmp_path / "learner"
    lab.mkdir()
    for name in ("03_a.ipynb", "04_b.ipynb", "05_c.ipynb"):
        (lab / name).write_text(f"{name} v1")
    first = sync(lab, mine)
    assert sorted(first.copied) == ["03_a.ipynb", "04_b.ipynb", "05_c.ipynb"]
    assert (mine / "03_a.ipynb").read_text() == "03_a.ipynb v1"

    (mine / "03_a.ipynb").write_text("my answers")          # the learner works
    (mine / "05_c.ipynb").unlink()                           # and deletes one
    for name in ("03_a.ipynb", "04_b.ipynb"):                # the instructor updates
        (lab / name).write_text(f"{name} v2")
    (lab / "06_d.ipynb").write_text("new lesson")

    second = sync(lab, mine)
    assert (mine / "03_a.ipynb").read_text() == "my answers", "their work is kept"
    assert (mine / "04_b.ipynb").read_text() == "04_b.ipynb v2", "untouched files update"
    assert (mine / "06_d.ipynb").read_text() == "new lesson"
    assert not (mine / "05_c.ipynb").exists(), "a deleted, unchanged file stays deleted"
    assert (second.kept, second.updated, second.copied) == (
        ["03_a.ipynb"], ["04_b.ipynb"], ["06_d.ipynb"])
    assert any("Kept your version of 03_a.ipynb" in line for line in second.sentences())

    (lab / "05_c.ipynb").write_text("05 v2")                 # changed since they deleted it
    (lab / "03_a.ipynb").write_text("03 v3")
    third = sync(lab, mine)
    assert (mine / "05_c.ipynb").read_text() == "05 v2"
    assert third.kept == ["03_a.ipynb"], "still theirs: compared with what they were given"
    assert sync(lab, mine).sentences() == ["Kept your version of 03_a.ipynb: you changed it, "
                                           "so the instructor's update was not applied "
                                           "(rename yours and restart your server to get "
                                           "theirs)."]


def test_a_renamed_copy_gets_the_update_back(tmp_path):
    lab, mine = tmp_path / "lab", tmp_path / "learner"
    lab.mkdir()
    (lab / "03_a.ipynb").write_text("v1")
    sync(lab, mine)
    (mine / "03_a.ipynb").write_text("mine")
    (lab / "03_a.ipynb").write_text("v2")
    sync(lab, mine)
    (mine / "03_a.ipynb").rename(mine / "03_a-mine.ipynb")
    assert sync(lab, mine).copied == ["03_a.ipynb"]
    assert (mine / "03_a.ipynb").read_text() == "v2"

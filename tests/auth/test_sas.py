"""labsupport.auth.sas: a SAS's problems come with a kind to branch on and a sentence."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from labsupport.auth.sas import Problem, SasProblem, sas_info

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("sas, kinds", [
    ("sv=2020-01-01&sp=p&se=2030-01-01T00:05:00Z&sig=x", []),
    ("sv=2020-01-01&sp=p&se=2030-01-01T00:05:00Z", [Problem.UNSIGNED]),
    ("sv=2020-01-01&sp=p&sig=x", [Problem.NO_EXPIRY]),
    ("sv=2020-01-01&si=workers&sig=x", []),
    ("sv=2020-01-01&sp=p&se=2029-12-31T23:00:00Z&sig=x", [Problem.EXPIRED]),
    ("sv=2020-01-01&sp=p&st=2030-01-01T00:10:00Z&se=2030-01-01T01:00:00Z&sig=x",
     [Problem.NOT_YET_VALID]),
    ("sv=2020-01-01&sp=p&st=2030-01-01T00:10:00Z&se=2030-01-01T00:05:00Z&sig=x",
     [Problem.NOT_YET_VALID, Problem.STARTS_AFTER_EXPIRY]),
    ("sv=2020-01-01&ss=b&srt=co&sp=p&se=2030-01-01T00:05:00Z&sig=x", [Problem.NOT_FOR_QUEUES]),
])
def test_each_problem_has_its_kind(sas, kinds):
    findings = sas_info(sas).findings(NOW)
    assert [f.kind for f in findings] == kinds
    assert all(isinstance(f, SasProblem) and str(f) == f.text for f in findings)


def test_problems_are_the_sentences_of_the_findings():
    info = sas_info("sv=2020-01-01&sp=p&st=2030-01-01T00:10:00Z&se=2029-12-31T23:00:00Z")
    assert info.problems(NOW) == [f.text for f in info.findings(NOW)] == [
        "has no signature (sig=): it is not a SAS, or it was cut short",
        "expired at 2029-12-31T23:00:00Z: mint a new one",
        "is not valid yet: it starts at 2030-01-01T00:10:00Z, about 10 minute(s) from now. The "
        "clock of the machine that minted it is probably ahead (clock skew), or `start` was set "
        "to the future: leave `start` out (a SAS is valid as soon as it is made), or set it 15 "
        "minutes in the past to absorb clock differences between machines",
        "starts after it expires: its start must be before its expiry",
    ]


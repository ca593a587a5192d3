"""No key, connection string, SAS signature or token in anything committed.

Scans every notebook (sources and outputs), the README and every other tracked text
file, plus the logs the local cloud writes. Azurite's well-known development key counts
as a secret too: outputs must never show keys, whatever they are.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from labsupport.redact import AZURITE_DEV_KEY

ROOT = Path(__file__).resolve().parents[1]
PATTERNS = {
    "AccountKey=": re.compile(r"AccountKey=(?!\*\*\*)[A-Za-z0-9+/=]{8,}"),
    "SharedAccessSignature=": re.compile(r"SharedAccessSignature=(?!\*\*\*)\S{8,}"),
    "SAS sig=": re.compile(r"[?&]sig=(?!\*\*\*)[A-Za-z0-9%+/=]{10,}"),
    "JWT": re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}"),
    "account key": re.compile(r"(?<![A-Za-z0-9+/-])[A-Za-z0-9+/]{86}==(?![A-Za-z0-9+/=])"),
    "Azurite dev key": re.compile(re.escape(AZURITE_DEV_KEY[:40])),
}
# Files that legitimately hold these patterns (the scanners themselves) or base64
# hashes of the same shape (lock files).
EXEMPT = {"tests/test_secret_scan.py", "labsupport/redact.py", "package-lock.json",
          "tests/test_redact.py"}


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return [ROOT / n for n in names if n not in EXEMPT and not n.startswith("images/")]


def findings(text: str) -> list[str]:
    return [name for name, pattern in PATTERNS.items() if pattern.search(text)]


def test_scanner_catches_each_kind_of_secret():
    samples = {
        "AccountKey=": "AccountKey=abcdefgh12345678;",
        "SharedAccessSignature=": "SharedAccessSignature=sv=2021&sig=abcdefghijkl",
        "SAS sig=": "https://a/q?sp=r&sig=abcdefghijkl%3D",
        "JWT": "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3Jh.abc",
        "account key": "x " + "A" * 86 + "== y",
        "Azurite dev key": AZURITE_DEV_KEY,
    }
    for name, sample in samples.items():
        assert name in findings(sample), name
    assert findings("AccountKey=***;QueueEndpoint=https://127.0.0.1:1/a") == []


@pytest.mark.parametrize("path", tracked_text_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_secret_in_committed_file(path):
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError):
        pytest.skip("not a text file")
    assert findings(text) == [], f"{path.relative_to(ROOT)} contains a secret"


def test_no_secret_in_local_cloud_logs(lab):
    logs = sorted((lab.config.state_dir / "logs").glob("*.log"))
    assert logs, "the local cloud writes logs"
    for log in logs:
        assert findings(log.read_text(errors="replace")) == [], f"secret in {log.name}"

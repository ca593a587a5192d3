"""The C# of the lessons' "Exam view" is checked against the SDKs' public API listings.

No .NET SDK runs on the lab's machines, so the snippets are checked, not run: every type,
member, attribute property and named argument a ```csharp block uses must be in
``docs/exam/csharp_api.json``, which quotes the line of the public API listing (pinned to a
commit) or the Microsoft Learn page each comes from. A misspelled member fails, naming the
notebook, the snippet and the member.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
API = json.loads((ROOT / "docs" / "exam" / "csharp_api.json").read_text(encoding="utf-8"))
EXAM_LESSONS = ("01", "03", "04", "05", "08", "11")
FENCE = re.compile(r"```csharp\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Snippet:
    where: str
    code: str


def snippets() -> list[Snippet]:
    found = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        blocks = [b for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
                  for b in FENCE.findall(c.source)]
        found += [Snippet(f"{path.name} C# snippet {k}", code)
                  for k, code in enumerate(blocks, start=1)]
    return found


class Listing:
    """The types and members of csharp_api.json."""

    def __init__(self, api: dict):
        self.types = {t["name"] for t in api["types"]}
        self.members: dict[str, dict[str, set[str]]] = {}
        for m in api["members"]:
            self.members.setdefault(m["type"], {}).setdefault(m["member"], set()).update(
                m["parameters"])

    def has_member(self, name: str, owner: str | None = None) -> bool:
        owners = [owner] if owner in self.types else list(self.members)
        return any(name in self.members.get(o, {}) for o in owners)

    def parameters(self, name: str) -> set[str]:
        return {p for members in self.members.values() for p in members.get(name, set())}


def _code_only(code: str) -> str:
    """The snippet without string literals, comments and using/namespace lines."""
    code = re.sub(r'\$?"(?:[^"\\\n]|\\.)*"', '""', code)
    code = re.sub(r"//[^\n]*", "", code)
    return "\n".join(line for line in code.splitlines()
                     if not re.match(r"\s*(using|namespace)\b", line))


def _span(code: str, opening: int) -> str:
    """The text between the bracket at ``opening`` and its partner."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    depth, close = 0, pairs[code[opening]]
    for i in range(opening, len(code)):
        depth += code[i] == code[opening]
        depth -= code[i] == close
        if depth == 0:
            return code[opening + 1:i]
    raise AssertionError(f"unbalanced {code[opening]!r} in {code[opening:opening + 40]!r}")


def _top_level(text: str) -> str:
    """``text`` with everything inside nested brackets blanked out."""
    out, depth = [], 0
    for ch in text:
        depth += ch in "([{"
        out.append(ch if depth == 0 else " ")
        depth -= ch in ")]}"
    return "".join(out)


def problems(code: str, listing: Listing) -> list[str]:
    """What ``code`` uses that the listing does not hold (empty: all checked)."""
    code = _code_only(code)
    found = []
    for m in re.finditer(r"\[\s*([A-Z]\w*)\s*\(", code):                     # [Attribute(...)]
        attribute = f"{m.group(1)}Attribute"
        if attribute not in listing.types:
            found.append(f"attribute [{m.group(1)}] ({attribute})")
            continue
        for prop in re.findall(r"\b([A-Z]\w*)\s*=(?!=)", _top_level(_span(code, m.end() - 1))):
            if not listing.has_member(prop, attribute):
                found.append(f"{attribute}.{prop}")
    for m in re.finditer(r"\bnew\s+([A-Z]\w*)\s*([({])", code):      # new T(…) / new T {…}
        kind = m.group(1)
        if kind not in listing.types:
            found.append(f"type {kind}")
        elif m.group(2) == "{":
            for prop in re.findall(r"\b([A-Z]\w*)\s*=(?!=)", _top_level(_span(code, m.end() - 1))):
                if not listing.has_member(prop, kind):
                    found.append(f"{kind}.{prop}")
    for m in re.finditer(r"\b([A-Z]\w*)(?:\[\])?\s+[a-z_]\w*\s*(?:[=;,)]|in\b)", code):
        if m.group(1) not in listing.types:                                  # T name = …
            found.append(f"type {m.group(1)}")
    for m in re.finditer(r"(?:\b([A-Za-z_]\w*)\s*)?\.\s*([A-Z]\w*)", code):   # x.Member
        owner, member = m.groups()
        if not listing.has_member(member, owner if owner and owner[0].isupper() else None):
            found.append(f"{owner + '.' if owner and owner[0].isupper() else ''}{member}")
            continue
        after = code[m.end():].lstrip()
        if after.startswith("("):                                            # named arguments
            call = code[m.end() + code[m.end():].index("("):]
            for name in re.findall(r"\b([a-z]\w*)\s*:(?!:)", _top_level(_span(call, 0))):
                if name not in listing.parameters(member):
                    found.append(f"{member}({name}: …)")
    return found


LISTING = Listing(API)
SNIPPETS = snippets()


def test_the_exam_view_lessons_have_csharp():
    lessons = {s.where[:2] for s in SNIPPETS}
    assert lessons == set(EXAM_LESSONS), lessons
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        if path.name[:2] in EXAM_LESSONS:
            assert "C#: checked against the SDK's API listing, not run here" in text


@pytest.mark.parametrize("snippet", SNIPPETS, ids=lambda s: s.where)
def test_every_name_a_snippet_uses_is_in_the_api_listing(snippet):
    missing = problems(snippet.code, LISTING)
    assert not missing, (f"{snippet.where} uses {', '.join(missing)}, which "
                         f"docs/exam/csharp_api.json does not hold")


def test_a_misspelled_member_is_caught():
    right = 'await queue.SendMessageAsync("hello", timeToLive: TimeSpan.FromSeconds(-1));'
    assert problems(right, LISTING) == []
    assert problems(right.replace("SendMessageAsync", "SendMessagAsync"), LISTING) == \
        ["SendMessagAsync"]
    assert problems(right.replace("timeToLive", "timeToLife"), LISTING) == \
        ["SendMessageAsync(timeToLife: …)"]
    assert problems(right.replace("FromSeconds", "FromSecond"), LISTING) == ["TimeSpan.FromSecond"]


def test_misspelled_types_attributes_and_properties_are_caught():
    code = ('var options = new QueueClientOptions '
            '{ MessageEncoding = QueueMessageEncoding.Base64 };\n'
            'public void Run([QueueTrigger("orders", Connection = "QueueStorage")] '
            'QueueMessage message) { }')
    assert problems(code, LISTING) == []
    assert problems(code.replace("MessageEncoding =", "Encoding ="), LISTING) == \
        ["QueueClientOptions.Encoding"]
    assert problems(code.replace("Connection =", "ConnectionString ="), LISTING) == \
        ["QueueTriggerAttribute.ConnectionString"]
    assert problems(code.replace("QueueMessage message", "QueueMesage message"), LISTING) == \
        ["type QueueMesage"]
    assert problems(code.replace("[QueueTrigger(", "[QueueInput("), LISTING) == \
        ["attribute [QueueInput] (QueueInputAttribute)"]


def test_strings_and_comments_are_not_checked():
    assert problems('Console.WriteLine("see Docs.Nothing"); // Not.Checked()', LISTING) == []


@pytest.mark.parametrize("entry", API["types"] + API["members"],
                         ids=lambda e: f"{e.get('type', '')}.{e.get('member', e.get('name'))}")
def test_each_entry_quotes_its_line_from_a_pinned_source(entry):
    url = API["sources"][entry["source"]]
    if url.startswith("https://github.com/"):
        assert re.search(r"/blob/[0-9a-f]{40}/", url), f"{url} is not pinned to a commit"
    else:
        assert url.startswith("https://learn.microsoft.com/")
    name = entry.get("member", entry.get("name"))
    if name == ".ctor":
        name = entry["type"]
    assert name.removesuffix("Attribute") in entry["line"]
    for parameter in entry.get("parameters", []):
        assert re.search(rf"\b{parameter}\b", entry["line"]), f"{parameter} not in the quoted line"


def test_the_listing_holds_only_what_the_snippets_use():
    used = "\n".join(_code_only(s.code) for s in SNIPPETS)
    for entry in API["members"]:
        name = entry["member"] if entry["member"] != ".ctor" else \
            entry["type"].removesuffix("Attribute")
        assert re.search(rf"\b{name}\b", used), f"{entry['type']}.{entry['member']} is unused"
    for entry in API["types"]:                  # named, or the owner of a member used (.Value)
        names = [entry["name"].removesuffix("Attribute")] + [
            m["member"] for m in API["members"] if m["type"] == entry["name"]]
        assert any(re.search(rf"\b{re.escape(n)}\b", used) for n in names), entry["name"]

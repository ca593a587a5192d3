"""The rules between the rooms, as tests (docs/ARCHITECTURE.md draws them).

The import graph is read from the source with ``ast``: every ``import`` and ``from …
import``, at module level or inside a function (a lazy import is still an import),
resolved to a module name. Each contract lists the imports that break it, with the chain
that leads there; each has a control test that adds one bad import to the real graph and
shows the contract catch it.

1. Provisioning (``labsupport.provision``) never reaches the local cloud, directly or
   through other modules: it is the code a learner runs against Azure unchanged.
2. The local cloud (``localcloud``) imports nothing of ``labsupport``: it is a service
   with a contract, started with a state folder and ports.
3. Patterns (``labsupport.patterns``) import only the standard library, the public
   modules of the Azure SDKs, pydantic, and each other: learners copy them into apps.
4. The API (``labsupport.api``) reaches no local-cloud module; it gets its backend from
   the lab's public ``connect()`` (``labsupport.lab``), which is where that is decided.
5. One door: in ``labsupport`` only the local backend (``labsupport.local``), the
   doctor and the benchmarks import ``localcloud``.
6. Benchmarks sit on top: nothing outside ``labsupport.bench`` imports it (lessons and
   checks take what they show from lesson-side modules such as ``labsupport.throughput``).
7. The local cloud's contract is its public names: outside ``localcloud`` (the lab's
   packages and tools) code uses only names in ``localcloud.__all__``, never one of its
   modules. Tests are exempt: tests/local_cloud tests the service from inside, its
   store, Azurite's control channel and the management plane's parts, as a package's
   own tests do.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("labsupport", "localcloud")
LOCAL_CLOUD = ("localcloud", "labsupport.local")  # the service, and the lab's door to it
PATTERN_LIBRARIES = {"azure", "pydantic", "pydantic_core"}
DOORS = ("labsupport.local", "labsupport.doctor", "labsupport.bench")

Graph = dict[str, set[str]]


def module_of(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(path: Path, module: str, known: set[str]) -> set[str]:
    """Modules that ``path`` (module ``module``) imports, absolute, anywhere in the file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
            target = ".".join([*(base if node.level else []), *filter(None, [node.module])])
            found.add(target)
            # ``from . import lab`` imports the module labsupport.lab, not a name.
            found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in known}
    return found - {""}


def read_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> Graph:
    files = {module_of(path, root): path for package in packages
             for path in sorted((root / package).rglob("*.py"))}
    return {module: imports_in(path, module, set(files)) for module, path in files.items()}


def within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def chains(graph: Graph, start: str, forbidden: tuple[str, ...],
           stop_at: tuple[str, ...] = ()) -> list[str]:
    """Import chains from ``start`` to a forbidden module, through first-party modules
    (a module in ``stop_at`` is not followed: it is an allowed boundary)."""
    found, seen, todo = [], {start}, [[start]]
    while todo:
        chain = todo.pop(0)
        for target in sorted(_with_packages(graph.get(chain[-1], ()), graph)):
            if within(target, forbidden):
                found.append(" -> ".join([*chain, target]))
            elif target in graph and target not in seen and not within(target, stop_at):
                seen.add(target)
                todo.append([*chain, target])
    return found


def _with_packages(targets: Iterable[str], graph: Graph) -> set[str]:
    """The targets and their packages: importing labsupport.api.routes runs
    labsupport/__init__.py and labsupport/api/__init__.py first."""
    found = set(targets)
    for target in list(found):
        parts = target.split(".")
        found |= {".".join(parts[:n]) for n in range(1, len(parts))} & set(graph)
    return found


# ------------------------------------------------------------------- contracts


def provisioning_violations(graph: Graph) -> list[str]:
    return chains(graph, "labsupport.provision", LOCAL_CLOUD)


def local_cloud_violations(graph: Graph) -> list[str]:
    return [f"{module} -> {target}" for module, targets in sorted(graph.items())
            if within(module, ["localcloud"])
            for target in sorted(targets) if within(target, ["labsupport"])]


def pattern_violations(graph: Graph) -> list[str]:
    def allowed(target: str) -> bool:
        top, *rest = target.split(".")
        if within(target, ["labsupport.patterns"]) or top in sys.stdlib_module_names \
                or top == "__future__":
            return True
        return top in PATTERN_LIBRARIES and not any(p.startswith("_") for p in rest)

    return [f"{module} -> {target}" for module, targets in sorted(graph.items())
            if within(module, ["labsupport.patterns"])
            for target in sorted(targets) if not allowed(target)]


def api_violations(graph: Graph) -> list[str]:
    return [chain for module in sorted(graph) if within(module, ["labsupport.api"])
            for chain in chains(graph, module, LOCAL_CLOUD, stop_at=("labsupport.lab",))]


def door_violations(graph: Graph) -> list[str]:
    return [f"{module} -> {target}" for module, targets in sorted(graph.items())
            if within(module, ["labsupport"]) and not within(module, DOORS)
            for target in sorted(targets) if within(target, ["localcloud"])]


def bench_violations(graph: Graph) -> list[str]:
    return [f"{module} -> {target}" for module, targets in sorted(graph.items())
            if not within(module, ["labsupport.bench"])
            for target in sorted(targets) if within(target, ["labsupport.bench"])]


CONTRACTS = {
    "provisioning never imports the local cloud": provisioning_violations,
    "the local cloud imports nothing of labsupport": local_cloud_violations,
    "patterns import only the stdlib and public SDKs": pattern_violations,
    "the API imports no local-cloud module": api_violations,
    "labsupport reaches the local cloud through one door": door_violations,
    "nothing outside the benchmarks imports them": bench_violations,
}
# One bad import per contract, of the kind each forbids: the control cases.
BREAKS = {
    "provisioning never imports the local cloud": ("labsupport.provision", "labsupport.lab"),
    "the local cloud imports nothing of labsupport": ("localcloud.tokens", "labsupport.config"),
    "patterns import only the stdlib and public SDKs": ("labsupport.patterns.poison",
                                                        "azure.storage.queue._models"),
    "the API imports no local-cloud module": ("labsupport.api.routes", "localcloud.tokens"),
    "labsupport reaches the local cloud through one door": ("labsupport.trace",
                                                            "localcloud.state"),
    "nothing outside the benchmarks imports them": ("labsupport.checks.throughput",
                                                    "labsupport.bench.throughput"),
}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return read_graph()


@pytest.mark.parametrize("contract", CONTRACTS)
def test_the_contract_holds(graph, contract):
    violations = sorted(CONTRACTS[contract](graph), key=len)
    assert not violations, f"broken: {contract}, by:\n  " + "\n  ".join(violations)


@pytest.mark.parametrize("contract", CONTRACTS)
def test_one_bad_import_breaks_the_contract(graph, contract):
    module, target = BREAKS[contract]
    broken = {name: set(targets) for name, targets in graph.items()}
    broken[module].add(target)
    violations = CONTRACTS[contract](broken)
    assert any(f"{module} -> {target}" in v for v in violations), violations


def test_the_graph_has_the_packages_and_their_known_imports(graph):
    """A control for the reader: it must see real edges, or every contract holds vacuously."""
    assert {"labsupport.provision", "labsupport.local", "localcloud.supervisor",
            "localcloud.management.store", "labsupport.patterns.poison"} <= set(graph)
    assert "localcloud" in graph["labsupport.local"]
    assert "labsupport.lab" in graph["labsupport.api.server"]  # imported inside serve()
    assert "localcloud.management.naming" in graph["localcloud.management.queues"]
    assert "labsupport.api" in _with_packages({"labsupport.api.routes"}, graph)


def test_the_reader_resolves_relative_and_lazy_imports(tmp_path):
    package = tmp_path / "labsupport"
    (package / "patterns").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "lab.py").write_text("")
    (package / "patterns" / "__init__.py").write_text("from . import leases\n")
    (package / "patterns" / "leases.py").write_text("")
    (package / "provision.py").write_text(
        "def later():\n    from . import lab\n    from .patterns.leases import x\n")
    found = read_graph(tmp_path, ["labsupport"])
    assert found["labsupport.provision"] == {"labsupport", "labsupport.lab",
                                             "labsupport.patterns.leases"}
    assert found["labsupport.patterns"] == {"labsupport.patterns",
                                            "labsupport.patterns.leases"}


def test_a_pattern_may_use_pydantic_and_public_azure_but_not_requests():
    graph = {"labsupport.patterns.p": {"pydantic", "azure.storage.queue", "json",
                                       "requests", "azure.core._enum_meta"}}
    assert pattern_violations(graph) == ["labsupport.patterns.p -> azure.core._enum_meta",
                                         "labsupport.patterns.p -> requests"]


# ------------------------------------------------------ the local cloud's public names

OUTSIDE_LOCAL_CLOUD = ("labsupport", "tools")


def local_cloud_uses(source: str) -> set[str]:
    """``localcloud`` and ``localcloud.<x>`` as the source uses them: modules imported,
    names imported from the package, and attributes read from it (``localcloud.start``)."""
    tree = ast.parse(source)
    found: set[str] = set()
    aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if within(alias.name, ["localcloud"]):
                    found.add(alias.name)
                    if alias.name == "localcloud" or not alias.asname:  # binds the package
                        aliases.add(alias.asname or "localcloud")
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module \
                and within(node.module, ["localcloud"]):
            found |= {f"{node.module}.{a.name}" for a in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases:
            found.add(f"localcloud.{node.attr}")
    return found


def public_name_violations(uses: dict[str, set[str]], exported: Iterable[str]) -> list[str]:
    allowed = {"localcloud", *(f"localcloud.{name}" for name in exported)}
    return [f"{where} -> {used}" for where, used_there in sorted(uses.items())
            for used in sorted(used_there - allowed)]


def uses_outside_local_cloud() -> dict[str, set[str]]:
    return {str(path.relative_to(ROOT)): local_cloud_uses(path.read_text())
            for folder in OUTSIDE_LOCAL_CLOUD for path in sorted((ROOT / folder).rglob("*.py"))}


def test_outside_the_local_cloud_only_its_public_names_are_used():
    import localcloud

    uses = uses_outside_local_cloud()
    assert "localcloud.start" in uses["labsupport/local.py"], "the reader saw no use"
    violations = public_name_violations(uses, localcloud.__all__)
    assert not violations, "uses of local-cloud internals (export them in " \
        "localcloud/__init__.py or go through labsupport/local.py):\n  " + "\n  ".join(violations)


def test_a_use_of_a_local_cloud_module_or_unexported_name_is_caught():
    source = ("import localcloud\nfrom localcloud import start, helper\n"
              "from localcloud.azurite import port_taken\nimport localcloud.certs as c\n"
              "localcloud.stop(x)\nlocalcloud._private\n")
    assert public_name_violations({"labsupport/x.py": local_cloud_uses(source)},
                                  ["start", "stop"]) == [
        "labsupport/x.py -> localcloud._private",
        "labsupport/x.py -> localcloud.azurite.port_taken",
        "labsupport/x.py -> localcloud.certs",
        "labsupport/x.py -> localcloud.helper",
    ]


# ------------------------------------------------------ notebooks and the benchmarks

NOTEBOOKS = ROOT / "notebooks"


def cell_imports(source: str) -> set[str]:
    """The modules a notebook cell imports (a cell may ``await`` at top level, or run a
    shell command with ``!``: IPython's own transformer turns that into Python first)."""
    from IPython.core.inputtransformer2 import TransformerManager

    source = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        body = "".join(f"    {line}\n" for line in source.splitlines()) or "    pass\n"
        tree = ast.parse(f"async def _cell():\n{body}")
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def notebook_bench_imports(cells: dict[str, list[str]]) -> list[str]:
    """``notebook: module`` for every code cell that imports a benchmark."""
    return [f"{name}: {module}" for name, sources in sorted(cells.items())
            for source in sources for module in sorted(cell_imports(source))
            if within(module, ["labsupport.bench"])]


def notebook_code_cells() -> dict[str, list[str]]:
    import json

    return {path.name: ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                        if c["cell_type"] == "code"]
            for path in sorted(NOTEBOOKS.glob("*.ipynb"))}


def test_no_notebook_imports_a_benchmark():
    cells = notebook_code_cells()
    assert len(cells) >= 13, "the notebooks were not found"
    assert not notebook_bench_imports(cells)


def test_a_notebook_cell_that_imports_a_benchmark_is_caught():
    cells = {"10_x.ipynb": ["x = 1\nawait asyncio.sleep(0)\nfrom labsupport.bench import "
                            "throughput\n", "import labsupport.throughput\n"]}
    assert notebook_bench_imports(cells) == ["10_x.ipynb: labsupport.bench",
                                             "10_x.ipynb: labsupport.bench.throughput"]

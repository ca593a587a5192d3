"""The room test (§3 of docs/CLASSROOM.md): N learners run lessons 03-07 at once on one hub.

    sudo .venv/bin/python classroom/room_test.py --learners 4 --out room-4.json

Bounded and loopback-only. It creates N+1 learner accounts (Unix users, removed at the end)
and starts a hub from classroom/jupyterhub_config.py on free 127.0.0.1 ports. One learner
("solo") first runs the lessons alone: the baseline. Then the N others' servers are started
at once through the hub's REST API, and each runs every code cell of their own copy of
lessons 03-07, in order, in a kernel of their own server reached through the hub's proxy
(the Jupyter messaging protocol over the kernel's websocket, as a browser does), with the
hub's tools token (scope access:servers). Per learner it records the spawn time (server
ready), the first connect() (which starts their local cloud), each lesson's wall time and
its ratio to the solo run, failures; a sampler records every learner's peak RSS (all their
processes: server, kernel, local cloud, Azurite), the hub's (hub, proxy, culler) and the
load averages. Results go to a JSON file; --plot draws them.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from labsupport.classroom.remote_kernel import RemoteKernel  # noqa: E402
from tests.hub.conftest import (  # noqa: E402
    Hub,
    add_learners,
    learner_names,
    make_learner_python,
    remove_learners,
)

LESSONS = ["03_send_peek_receive", "04_visibility_timeout", "05_time_to_live",
           "06_out_of_order_redelivery", "07_duplicates_and_poison_messages"]


def code_cells(user: str, lesson: str) -> list[str]:
    path = Path(pwd.getpwnam(user).pw_dir) / "queue-lab" / "notebooks" / f"{lesson}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


def run_lessons(hub: Hub, user: str, result: dict) -> None:
    """Every lesson in its own kernel, in order; wall times in ``result``."""
    result.setdefault("lessons", {})
    for lesson in LESSONS:
        started = time.monotonic()
        kernel = RemoteKernel(hub.base, user, hub.token)
        try:
            kernel.start("queue-lab/notebooks")
            if "first_connect_s" not in result:
                kernel.run(["import labsupport; labsupport.connect('room', quiet=True)"])
                result["first_connect_s"] = round(time.monotonic() - started, 1)
                started = time.monotonic()
            kernel.run(code_cells(user, lesson), timeout=900)
            result["lessons"][lesson] = round(time.monotonic() - started, 1)
        except Exception as exc:  # a failure is a result: recorded, counted, reported
            result.setdefault("failures", []).append(f"{lesson}: {exc}"[:500])
        finally:
            try:
                kernel.shutdown()
            except Exception as exc:
                result.setdefault("failures", []).append(f"{lesson} shutdown: {exc}"[:300])


class Sampler(threading.Thread):
    """Peak RSS per learner (by uid) and of the hub's process tree; load averages."""

    def __init__(self, users: list[str], hub_pid: int):
        super().__init__(daemon=True)
        self.uids = {pwd.getpwnam(u).pw_uid: u for u in users}
        self.hub = psutil.Process(hub_pid)
        self.peak = dict.fromkeys(users, 0)
        self.hub_peak = 0
        self.load = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(2):
            totals = dict.fromkeys(self.peak, 0)
            for process in psutil.process_iter(["uids", "memory_info"]):
                uid = process.info["uids"].real if process.info["uids"] else None
                if uid in self.uids and process.info["memory_info"]:
                    totals[self.uids[uid]] += process.info["memory_info"].rss
            for user, total in totals.items():
                self.peak[user] = max(self.peak[user], total)
            try:
                tree = [self.hub, *self.hub.children(recursive=True)]
                self.hub_peak = max(self.hub_peak, sum(
                    p.memory_info().rss for p in tree if p.uids().real == 0))
            except psutil.NoSuchProcess:
                pass
            self.load.append(os.getloadavg())


def room(count: int, work: Path) -> dict:
    python = make_learner_python(work / "python")
    if isinstance(python, str):
        raise SystemExit(python)
    solo, *learners = learner_names("r", count + 1)
    add_learners(solo, *learners)
    hub = None
    try:
        (work / "hub").mkdir()
        hub = Hub(work / "hub", python)
        hub.api("POST", "/users", json={"usernames": [solo, *learners]})
        sampler = Sampler([solo, *learners], hub.process.pid)
        sampler.start()
        alone = {"learner": solo}
        started = time.monotonic()
        hub.start_server(solo, timeout=600)
        alone["spawn_s"] = round(time.monotonic() - started, 1)
        run_lessons(hub, solo, alone)
        hub.stop_server(solo, timeout=300)
        solo_peak = sampler.peak[solo]

        results = {name: {"learner": name} for name in learners}
        load_before = os.getloadavg()
        begin = time.monotonic()

        def learner(name: str) -> None:
            result = results[name]
            try:
                hub.start_server(name, timeout=900)
                result["spawn_s"] = round(time.monotonic() - begin, 1)
                run_lessons(hub, name, result)
            except BaseException as exc:
                result.setdefault("failures", []).append(f"spawn: {exc}"[:500])

        threads = [threading.Thread(target=learner, args=(n,)) for n in learners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        room_wall = round(time.monotonic() - begin, 1)
        sampler.done.set()
        sampler.join()
        for name in learners:
            results[name]["peak_rss_mb"] = round(sampler.peak[name] / 2**20)
            results[name]["ratios"] = {
                lesson: round(seconds / alone["lessons"][lesson], 2)
                for lesson, seconds in results[name].get("lessons", {}).items()
                if lesson in alone.get("lessons", {})}
        return {
            "learners": count, "cpus": os.cpu_count(),
            "memory_total_mb": round(psutil.virtual_memory().total / 2**20),
            "alone": {**alone, "peak_rss_mb": round(solo_peak / 2**20)},
            "room": list(results.values()), "room_wall_s": room_wall,
            "failures": sum(len(r.get("failures", [])) for r in results.values())
            + len(alone.get("failures", [])),
            "hub_peak_rss_mb": round(sampler.hub_peak / 2**20),
            "load_before": [round(x, 2) for x in load_before],
            "load_max_1min": round(max(x[0] for x in sampler.load), 2) if sampler.load else None,
            "load_after": [round(x, 2) for x in os.getloadavg()],
        }
    finally:
        if hub is not None:
            for name in [solo, *learners]:
                try:
                    if hub.process.poll() is None and hub.user(name).get("servers"):
                        hub.stop_server(name, timeout=300)
                except Exception as exc:
                    print(f"stopping {name}'s server: {exc}", file=sys.stderr)
            hub.stop()
        remove_learners(solo, *learners)


def plot(results: list[dict], png: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ratios, memory) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(results)
    for i, run in enumerate(results):
        means = [sum(r["ratios"].get(lesson, float("nan")) for r in run["room"]) / len(run["room"])
                 for lesson in LESSONS]
        ratios.bar([x + i * width for x in range(len(LESSONS))], means, width,
                   label=f"{run['learners']} learners at once")
    ratios.axhline(1, color="grey", lw=0.8)
    ratios.set_xticks([x + width * (len(results) - 1) / 2 for x in range(len(LESSONS))],
                      [lesson[:2] for lesson in LESSONS])
    ratios.set_xlabel("lesson")
    ratios.set_ylabel("wall time / the same lesson alone (mean)")
    ratios.legend()
    for run in results:
        memory.scatter([run["learners"]] * len(run["room"]),
                       [r["peak_rss_mb"] for r in run["room"]], color="tab:blue")
        memory.scatter([run["learners"]], [run["hub_peak_rss_mb"]], color="tab:orange",
                       marker="s")
    memory.scatter([], [], color="tab:blue", label="a learner (server, kernel, local cloud)")
    memory.scatter([], [], color="tab:orange", marker="s", label="the hub (hub, proxy, culler)")
    memory.set_xticks([run["learners"] for run in results])
    memory.set_xlabel("learners at once")
    memory.set_ylabel("peak RSS (MiB)")
    memory.set_ylim(bottom=0)
    memory.legend(fontsize=8)
    fig.suptitle(f"Room test on {results[0]['cpus']} cores, 127.0.0.1 (lessons 03-07)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    return png


def table(results: list[dict]) -> str:
    """The figures as a Markdown table (docs/CLASSROOM.md), one row per run."""
    rows = ["| learners | spawn s (median, max) | first connect s (median) | "
            "lesson time / alone (mean, max) | failures | peak RSS per learner MiB (max) | "
            "hub RSS MiB | load 1-min max |", "|---|---|---|---|---|---|---|---|"]
    for run in results:
        spawn = sorted(r.get("spawn_s", float("nan")) for r in run["room"])
        connect = sorted(r.get("first_connect_s", float("nan")) for r in run["room"])
        ratios = [x for r in run["room"] for x in r.get("ratios", {}).values()]
        rows.append(
            f"| {run['learners']} | {spawn[len(spawn) // 2]:.1f}, {spawn[-1]:.1f} | "
            f"{connect[len(connect) // 2]:.1f} | "
            f"{sum(ratios) / len(ratios):.2f}, {max(ratios):.2f} | {run['failures']} | "
            f"{max(r['peak_rss_mb'] for r in run['room'])} | {run['hub_peak_rss_mb']} | "
            f"{run['load_max_1min']} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=4)
    parser.add_argument("--out", type=Path, help="write the results (JSON) here")
    parser.add_argument("--plot", nargs="+", type=Path, metavar="JSON",
                        help="draw earlier results into --png instead of running")
    parser.add_argument("--png", type=Path, default=Path("room.png"))
    args = parser.parse_args()
    if args.plot:
        runs = [json.loads(p.read_text()) for p in args.plot]
        print(table(runs))
        print(plot(runs, args.png))
        return 0
    if os.geteuid() != 0:
        raise SystemExit("the room test creates Unix users for its learners: run it as root")
    if not 1 <= args.learners <= 40:
        raise SystemExit("--learners must be 1 to 40 (the test is bounded)")
    work = Path(tempfile.mkdtemp(prefix="queue-lab-room-"))
    os.chmod(work, 0o755)
    try:
        result = room(args.learners, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())

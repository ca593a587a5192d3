"""Command line: ``python -m labsupport up | down | status [--json] | env | api | doctor |
running-lab | progress | class progress | class add-learners | class remove-learners``."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import warnings
from pathlib import Path

from . import local
from .config import load_config, parse_port
from .errors import ConfigError, LabError, LocalCloudRestarted


def _start(config) -> local.Record:
    """``local.up``, saying on stderr (one line each) what it warned about, e.g. that
    the cloud had crashed and was restarted."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LocalCloudRestarted)
        record = local.up(config)
    for warning in caught:
        if issubclass(warning.category, LocalCloudRestarted):
            print(f"note: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    return record


def _up(args) -> int:
    config = load_config()
    record = _start(config)
    print(f"local cloud running: management {record.endpoints()['management']}, "
          f"queue {record.endpoints()['queue']}, blob {record.endpoints()['blob']}")
    return 0


def _down(args) -> int:
    config = load_config()
    stopped = local.down(config)
    print("local cloud stopped" if stopped else "local cloud was not running")
    return 0


def _status(args) -> int:
    config = load_config()
    current = local.status(config)
    if args.json:
        print(json.dumps(current.as_dict(), indent=2))
    else:
        data = current.as_dict()
        print(f"local cloud: {data['state']} (state folder {data['state_dir']})")
        if current.problem:
            print(f"  problem     {current.problem}")
            print(f"  fix         `python -m labsupport up` replaces it; for why, see "
                  f"localcloud.log and azurite.log in {current.folder.logs}")
        for name, url in data.get("endpoints", {}).items():
            print(f"  {name:<11} {url}")
        if "uptime_seconds" in data:
            print(f"  uptime      {data['uptime_seconds']:.0f} s, "
                  f"Azurite {data['azurite_version']}")
    return 0 if current.running or not args.check else 1


def _env(args) -> int:
    """Print ``export`` lines so a shell or script uses the local cloud as it would Azure:
    ``eval "$(python -m labsupport env)"``; with ``--az``, the Azure CLI too (see
    :mod:`labsupport.azcli`)."""
    config = load_config()
    if not config.is_local:
        raise ConfigError(
            "`env` describes the local cloud, but LAB_BACKEND=azure: with Azure, log in with "
            "`az login` and set AZURE_SUBSCRIPTION_ID yourself."
        )
    record = _start(config)
    if args.az:
        from .azcli import prepare  # imported here: only this option needs it

        values = prepare(config, record, update_process=False)
    else:
        values = local.client_environment(config, record)
    for name, value in values.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def _api(args) -> int:
    from .api.server import serve  # imported here: FastAPI is only needed by this command

    port = None if args.port is None else parse_port("--port", args.port, lowest=1)
    return serve(port=port, queue=args.queue, access_log=not args.no_access_log)


def _doctor(args) -> int:
    from .doctor import run

    return run(as_json=args.json)


def _running_lab(args) -> int:
    """Exit 0 saying where the JupyterLab already serving the notebooks is, else 1 quietly
    (``make lab`` then starts one)."""
    from .paths import project_root
    from .running_lab import serving

    server = serving(Path(args.notebooks) if args.notebooks else project_root() / "notebooks")
    if server is None:
        return 1
    print(server.sentence())
    return 0


def _progress(args) -> int:
    """The learner's own table: every exercise, its last verdict and what is still wrong."""
    from .checks.records import as_text, progress_table, records_path

    table = progress_table()
    print(as_text(table))
    print(f"\n{(table['verdict'] == 'passed').sum()} of {len(table)} exercises passed "
          f"(records: {records_path()})")
    return 0


def _class_progress(args) -> int:
    """Lessons × learners from several learners' records, as a table and, if asked, a PNG."""
    import pandas as pd

    from .checks.records import class_picture, class_table

    table = class_table(args.learners)
    shown = table.map(lambda share: "–" if share != share else f"{share:.0%}")
    with pd.option_context("display.width", 200):
        print(shown.to_string())
    if args.png:
        print(f"picture: {class_picture(table, Path(args.png))}")
    return 0


def _add_learners(args) -> int:
    """Real Unix users for the hub, each with a random password shown once, here only."""
    from .classroom.accounts import GROUP, add_learners

    made = add_learners(args.names)
    print(f"learners (Unix group {GROUP}); give each their password privately, it is not "
          "kept anywhere:")
    for learner in made:
        shown = learner.password or "(already a learner: password unchanged)"
        print(f"  {learner.name:<16} {shown}")
    return 0


def _remove_learners(args) -> int:
    from .classroom.accounts import remove_learners

    removed = remove_learners(args.names)
    print(f"removed (with their homes): {', '.join(removed) or 'nobody'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labsupport", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="start the local cloud (if it is not running)") \
        .set_defaults(run=_up)
    commands.add_parser("down", help="stop the local cloud").set_defaults(run=_down)
    status = commands.add_parser("status", help="show whether the local cloud runs")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.add_argument("--check", action="store_true", help="exit 1 unless running")
    status.set_defaults(run=_status)
    env = commands.add_parser(
        "env", help="print export lines to use the local cloud from a shell (starts it)")
    env.add_argument("--az", action="store_true",
                     help="also prepare the Azure CLI (`make cli`): its own config folder in "
                     "the state folder, the local cloud registered, signed in with the "
                     "local managed identity")
    env.set_defaults(run=_env)
    api = commands.add_parser("api", help="serve a queue over HTTP on 127.0.0.1 (FastAPI)")
    api.add_argument("--port", help="port (default: LAB_API_PORT or 8000)")
    api.add_argument("--queue", help="queue name, created if missing "
                     "(default: LAB_API_QUEUE or queue-api)")
    api.add_argument("--no-access-log", action="store_true", help="do not log every request")
    api.set_defaults(run=_api)
    doctor = commands.add_parser("doctor", help="check the machine and say how to fix problems")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(run=_doctor)
    running = commands.add_parser(
        "running-lab", help="say where a JupyterLab already serves the notebooks (exit 0), "
        "else exit 1 (make lab asks before it starts one)")
    running.add_argument("notebooks", nargs="?", help="the notebooks folder (default: the "
                         "project's notebooks/)")
    running.set_defaults(run=_running_lab)
    commands.add_parser("progress", help="show your exercises: last verdict, what is still "
                        "wrong, when").set_defaults(run=_progress)
    course = commands.add_parser("class", help="instructor commands for a class")
    course_commands = course.add_subparsers(dest="class_command", required=True)
    gather = course_commands.add_parser(
        "progress", help="gather learners' progress records: lessons x learners")
    gather.add_argument("learners", nargs="+", metavar="[NAME=]PATH",
                        help="a learner's lab state folder, home folder or progress.jsonl")
    gather.add_argument("--png", help="also draw the table into this PNG file")
    gather.set_defaults(run=_class_progress)
    add = course_commands.add_parser(
        "add-learners", help="create learners as Unix users for the hub (root); prints each "
        "one's random password once")
    add.add_argument("names", nargs="+", help="Unix user names, e.g. ana ben")
    add.set_defaults(run=_add_learners)
    remove = course_commands.add_parser(
        "remove-learners", help="delete learners and their homes (root; userdel -r)")
    remove.add_argument("names", nargs="+")
    remove.set_defaults(run=_remove_learners)
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

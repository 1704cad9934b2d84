"""`propmine label ...`: the review UI, fine-tuning exports, and Label Studio import/export.

flows/cli.py registers this app with `app.add_typer(label_app, name="label")`; user mistakes are
raised as InputError/ConfigError and printed there as one line.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from schemas.errors import ConfigError, InputError

label_app = typer.Typer(
    help="Review the model's records in a web UI, export the labels as fine-tuning data, or go through Label Studio.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err_console = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Path, typer.Option("--db", help="The propmine DuckDB file (from `propmine extract --db` or `propmine batch`)")
]
ForceOption = Annotated[
    bool, typer.Option("--force", help="Overwrite a file or directory that is not an earlier export")
]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and localhost: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@label_app.command()
def serve(
    db: DbOption,
    port: Annotated[int, typer.Option("--port", help="Port to listen on")] = 8765,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; anything but loopback needs an access token")
    ] = "127.0.0.1",
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="Access token every request must carry (generated when --host is not loopback)",
            envvar="PROPMINE_LABEL_TOKEN",
        ),
    ] = None,
    who: Annotated[
        str | None,
        typer.Option("--who", help="Name labels are stored under until a reviewer sets theirs (default: your login)"),
    ] = None,
) -> None:
    """Serve the labeling UI: a queue of passages with the model's records to accept, correct or reject."""
    import uvicorn

    from labeling.app import create_app
    from labeling.database import open_labels_db

    if not 0 < port < 65536:
        raise ConfigError(f"--port {port}: choose a port between 1 and 65535")
    with open_labels_db(db):
        pass  # fail now, with one line, on a missing, busy or newer database
    loopback = is_loopback(host)
    if not loopback and not token:
        token = secrets.token_urlsafe(24)
    if token is not None and len(token) < 16:
        raise ConfigError("--token: use at least 16 characters (or leave it out to get a generated one)")
    allowed = ["127.0.0.1", "localhost", "::1"] if loopback else None
    app = create_app(db, token=token, allowed_hosts=allowed, default_who=who)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    err_console.print(f"labeling {db} at {address}", highlight=False)
    if not loopback:
        err_console.print(
            f"bound to {host}: every request needs the access token (open the address above once, "
            "or send 'Authorization: Bearer TOKEN')",
            highlight=False,
        )
    uvicorn.run(app, host=host, port=port, log_level="warning")


@label_app.command()
def export(
    db: DbOption,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="JSON Lines file of fine-tuning examples (what `propmine train --data` reads)"),
    ] = None,
    hf: Annotated[
        Path | None,
        typer.Option("--hf", help="Also write a Hugging Face dataset (Parquet and a dataset card) into this directory"),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Export reviewed passages as fine-tuning examples: accepted and corrected records, added ones, and negatives."""
    from labeling.database import open_labels_db
    from labeling.export import export_hf, export_jsonl

    if out is None and hf is None:
        raise InputError("give --out FILE.jsonl, --hf DIR, or both")
    with open_labels_db(db) as con:
        if out is not None:
            stats = export_jsonl(con, out, force=force)
            err_console.print(f"{out}: {stats.summary()}", highlight=False)
        if hf is not None:
            stats = export_hf(con, hf, db.name, force=force)
            err_console.print(f"{hf}: Hugging Face dataset, {stats.summary()}", highlight=False)
    for problem in stats.problems[:20]:
        err_console.print(f"[yellow]left out:[/yellow] {problem}", highlight=False)


@label_app.command("ls-export")
def ls_export(
    db: DbOption,
    out: Annotated[Path, typer.Option("--out", help="Label Studio tasks file (JSON) to import into a project")],
    include_reviewed: Annotated[
        bool, typer.Option("--include-reviewed", help="Also passages already reviewed here")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="Only the first N passages of the queue")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Also write the project's labeling configuration (XML) here")
    ] = None,
    force: ForceOption = False,
) -> None:
    """Write queued passages as Label Studio tasks, the model's records as pre-annotations (spans and relations)."""
    from labeling.database import open_labels_db
    from labeling.export import check_target_file
    from labeling.labelstudio import export_tasks, label_config
    from schemas.storage import atomic_write_text

    config_path = None
    if config is not None:
        config_path = check_target_file(
            config, lambda p: p.read_text(encoding="utf-8").lstrip().startswith("<View>"), force
        )
    with open_labels_db(db) as con:
        n = export_tasks(con, out, include_reviewed=include_reviewed, limit=limit, force=force)
    if config_path is not None:
        atomic_write_text(config_path, label_config())
    err_console.print(
        f"{out}: {n} tasks" + (f"; labeling configuration in {config}" if config else ""), highlight=False
    )


@label_app.command("ls-import")
def ls_import(
    db: DbOption,
    file: Annotated[Path, typer.Option("--file", help="A Label Studio JSON export (Export -> JSON, not JSON-MIN)")],
) -> None:
    """Read a Label Studio JSON export back as labels: each annotation is the truth for its passage."""
    from labeling.database import open_labels_db
    from labeling.labelstudio import import_annotations

    with open_labels_db(db) as con:
        stats = import_annotations(con, file)
    err_console.print(f"{file}: {stats.summary()}", highlight=False)
    for problem in stats.problems[:20]:
        err_console.print(f"[yellow]skipped:[/yellow] {problem}", highlight=False)

"""``punchcard import FILE``: purchases, engagement events and refunds in bulk.

The file (JSON lines or CSV, see ``event_files``) is read as a stream, in chunks
of ``--batch-size`` events applied by the batch path (``loyalty.batch.ingest``):
each event exactly once by its own id, many to a transaction, on several
connections. After each chunk has committed, how far the import got is written
to a state file beside the input (``FILE.import-state.json``, replaced
atomically). Run the same command again after an interruption and it starts
from there; the events of a chunk that was cut short are replayed by their ids,
never applied twice. A bad event is reported with its line number and skipped;
the others go on, and the command exits 1 if any failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from punchcard.config import Settings
from punchcard.domain import validation
from punchcard.domain.errors import InvalidRequest, PunchcardError
from punchcard.domain.loyalty.commands import Engagement, Purchase, Refund
from punchcard.entrypoints.cli import event_files
from punchcard.entrypoints.cli.console import errors, one_line_errors
from punchcard.entrypoints.http.schemas import to_command
from punchcard.service_layer.loyalty import batch
from punchcard.service_layer.loyalty.facade import Loyalty

HEAD_BYTES = 64 * 1024
SHOWN_ERRORS = 10
STATE_SUFFIX = ".import-state.json"


@dataclass(slots=True)
class State:
    """How far an import of one file into one tenant got (committed, all of it)."""

    tenant: str
    file: str
    head: str
    """SHA-256 of the file's first 64 KiB: a different file at the same path is refused."""
    offset: int = 0
    line: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("ok", "replayed", "error"), 0))  # fmt: skip
    errors: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            raise InvalidRequest(f"cannot read the import state {path}: {exc}") from None

    def save(self, path: Path) -> None:
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(asdict(self)), encoding="utf-8")
        os.replace(partial, path)  # atomic: a crash leaves the old state or the new


def _head(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.sha256(stream.read(HEAD_BYTES)).hexdigest()


def resume(path: Path, state_path: Path, tenant: str, restart: bool) -> State:
    head = _head(path)
    fresh = State(tenant=tenant, file=str(path.resolve()), head=head)
    found = None if restart else State.load(state_path)
    if found is None:
        return fresh
    if found.tenant != tenant or found.head != head:
        raise InvalidRequest(
            f"{state_path} records an import of another file or tenant "
            f"({found.tenant}, {found.file}); --restart starts this one from its first line"
        )
    if found.offset > path.stat().st_size:
        raise InvalidRequest(f"{path} is shorter than when {state_path} was written; "
                             "--restart starts it again")  # fmt: skip
    return found


def _chunks(lines: Iterator[event_files.Line], size: int) -> Iterator[list[event_files.Line]]:
    chunk: list[event_files.Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


Command = Purchase | Engagement | Refund


def _commands(
    loyalty: Loyalty, tenant: str, chunk: list[event_files.Line]
) -> list[Command | PunchcardError]:
    """The chunk's commands; customers named by reference are enrolled first."""
    refs = sorted({line.event.customer_ref for line in chunk
                   if isinstance(line.event, event_files.FilePurchase | event_files.FileEngagement)
                   and line.event.customer_ref is not None})  # fmt: skip
    ids = batch.enroll_all(loyalty, tenant, refs) if refs else {}
    found: list[Command | PunchcardError] = []
    for line in chunk:
        try:
            found.append(_command(tenant, line, ids))
        except PunchcardError as exc:
            found.append(exc)
    return found


def _command(tenant: str, line: event_files.Line, ids: dict[str, str | PunchcardError]) -> Command:
    if line.error is not None:
        raise line.error
    event = line.event
    assert event is not None
    if (
        isinstance(event, event_files.FilePurchase | event_files.FileEngagement)
        and event.customer_ref is not None
    ):
        resolved = ids[event.customer_ref]
        if isinstance(resolved, PunchcardError):
            raise resolved
        event = event.model_copy(update={"customer_id": resolved, "customer_ref": None})
    return to_command(tenant, event)


def run_import(
    loyalty: Loyalty, path: Path, state: State, *, kind: event_files.Format, batch_size: int,
    workers: int, state_path: Path, progress: Progress | None = None,
) -> tuple[State, list[str], int]:  # fmt: skip
    """Import ``path`` from where ``state`` says (see ``resume``): the final state, the
    first few error lines, and how many events this run applied, replayed or refused."""
    tenant = state.tenant
    shown: list[str] = []
    seen = 0
    task = None
    if progress is not None:
        task = progress.add_task("importing", total=path.stat().st_size, completed=state.offset)
    with path.open("rb") as stream:
        lines = event_files.read(stream, kind, start=state.offset, line=state.line)
        for chunk in _chunks(lines, batch_size):
            outcomes = batch.ingest(loyalty, _commands(loyalty, tenant, chunk), workers=workers)
            seen += len(chunk)
            for line, outcome in zip(chunk, outcomes, strict=True):
                state.counts[outcome.status] += 1
                if outcome.error is not None:
                    code = outcome.error.code
                    state.errors[code] = state.errors.get(code, 0) + 1
                    if len(shown) < SHOWN_ERRORS:
                        message = outcome.error.message.removeprefix(f"line {line.number}: ")
                        shown.append(f"line {line.number}: {code}: {message}")
            state.offset, state.line = chunk[-1].end, chunk[-1].number
            state.save(state_path)
            if progress is not None and task is not None:
                progress.update(task, completed=state.offset)
    if progress is not None and task is not None:
        progress.update(task, completed=path.stat().st_size)
    state.save(state_path)
    return state, shown, seen


@one_line_errors
def import_events(  # noqa: PLR0917 - typer passes options by keyword, in this order
    file: Annotated[Path, typer.Argument(help="JSON lines (.jsonl) or CSV (.csv) of events.")],
    tenant: Annotated[str, typer.Option(help="The programme's tenant.")],
    format_: Annotated[
        str | None, typer.Option("--format", help="jsonl or csv (default: by the suffix).")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Events per chunk between checkpoints.")
    ] = 1000,
    workers: Annotated[int, typer.Option(min=1, max=32, help="Database connections.")] = 4,
    restart: Annotated[
        bool, typer.Option("--restart", help="Ignore the saved state; replay from line 1.")
    ] = False,
    state: Annotated[
        Path | None, typer.Option(help=f"Where to keep the progress (default: FILE{STATE_SUFFIX}).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The summary as JSON.")] = False,
) -> None:
    """Import purchases, engagement events and refunds; safe to run again after an
    interruption (it resumes, and never applies an event twice)."""
    validation.tenant_id(tenant)
    kind = event_files.detect(file, format_)
    if not file.is_file():
        raise InvalidRequest(f"{file} is not a file")
    state_path = state or file.with_name(file.name + STATE_SUFFIX)
    started = time.perf_counter()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TimeRemainingColumn(), console=errors, disable=as_json)  # fmt: skip
    with Loyalty.open(Settings.from_env()) as loyalty:
        loyalty.programme(tenant)  # an unknown tenant is one error, not one per event
        begun = resume(file, state_path, tenant, restart)
        with bar:
            done, shown, seen = run_import(
                loyalty, file, begun, kind=kind, batch_size=batch_size, workers=workers,
                state_path=state_path, progress=bar,
            )  # fmt: skip
    _report(file, done, shown, (seen, time.perf_counter() - started), as_json)
    if done.counts["error"]:
        raise typer.Exit(1)


def _report(
    file: Path, state: State, shown: list[str], run: tuple[int, float], as_json: bool
) -> None:
    counts = state.counts
    seen, seconds = run
    if as_json:
        document: dict[str, Any] = {"file": str(file), "tenant": state.tenant,
                                    "lines": state.line, **counts, "errors": state.errors,
                                    "first_errors": shown, "this_run": seen,
                                    "seconds": round(seconds, 3)}  # fmt: skip
        typer.echo(json.dumps(document))
        return
    for line in shown:
        typer.echo(line, err=True)
    total = sum(counts.values())
    failed = f"{counts['error']:,} failed" + (f" ({_codes(state.errors)})" if state.errors else "")
    typer.echo(f"imported {file} into {state.tenant}: {total:,} event(s) up to line "
               f"{state.line:,}: {counts['ok']:,} applied, {counts['replayed']:,} replayed, "
               f"{failed}")  # fmt: skip
    rate = f" ({seen / seconds:,.0f}/s)" if seconds > 0 and seen else ""
    typer.echo(f"this run: {seen:,} event(s) in {seconds:.1f} s{rate}")


def _codes(found: dict[str, int]) -> str:
    return ", ".join(f"{code} {n:,}" for code, n in Counter(found).most_common())


def register(app: typer.Typer) -> None:
    """Add the import command to the CLI."""
    app.command("import")(import_events)

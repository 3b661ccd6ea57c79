"""`spanfact`: the command line. It only wires the pipeline's steps together and prints."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from pipeline.backends.base import BackendError
from pipeline.backends.registry import MODEL_HELP, create_backend
from pipeline.display import cell, cells, styled
from pipeline.extract import STRATEGIES
from pipeline.ingest import DEFAULT_MAX_BYTES
from pipeline.interrupt import two_stage_interrupt
from pipeline.metadata import DocumentMeta
from pipeline.prompts import PromptError
from pipeline.run import BatchRunner, DocumentReport, DocumentStatus, RunOptions, RunSummary
from pipeline.store.db import DEFAULT_DB, Database, DatabaseLockedError, open_db
from pipeline.store.figures import FigureFilter, list_conflicts, list_figures, refresh_figures
from pipeline.store.migrations import NewerDatabaseError
from pipeline.store.queries import (
    EXPORT_FORMATS,
    EXPORT_TABLES,
    QueryResult,
    export_table,
    facts_of_run,
    format_for_path,
    query,
)
from pipeline.store.writer import RunCounts, abandon_run
from pipeline.topic import DEFAULT_TOPIC
from schemas.claims import Metric

# Exit codes (README "Exit codes"): scripts and CI tell these apart.
EXIT_OK = 0  # every input was extracted, skipped as done, or reported as bad (some were good)
EXIT_FAILED = 1  # some document failed extraction (and is retried by the next run)
EXIT_USAGE = 2  # a bad option, or the database cannot be opened: nothing was run
EXIT_NOTHING = 3  # no input could be read: missing paths, or every input was bad
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C; finished documents are stored

app = typer.Typer(
    help="Extract quantitative claims from news articles, verify every number against the text, "
    "and query them with SQL.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
# Logs and CI output are not terminals; rich would wrap tables at 80 columns there.
console = Console(width=None if Console().is_terminal else 160)
err = Console(stderr=True, width=None if Console(stderr=True).is_terminal else 160)

DbOption = Annotated[Path, typer.Option("--db", help="DuckDB file (created if missing).")]
ReadDbOption = Annotated[Path, typer.Option("--db", help="DuckDB file to read.")]
ModelOption = Annotated[str, typer.Option("--model", "-m", help=MODEL_HELP)]
StrategyOption = Annotated[
    str,
    typer.Option(
        "--strategy",
        "-s",
        help="anchored: find numbers first, the model labels them (best for small models); "
        "whole: the model reads whole passages (for large hosted models).",
    ),
]
TopicOption = Annotated[
    str, typer.Option("--topic", help="Topic file in prompts/topics/ (name or path).")
]
FormatOption = Annotated[
    str,
    typer.Option("--response-format", help="For openai:*: json_schema | llamacpp | json_object."),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        envvar="SPANFACT_TIMEOUT",
        min=0.001,
        help="For openai:*: seconds to wait for one answer [default: 120].",
        show_default=False,
    ),
]
MaxRetriesOption = Annotated[
    int | None,
    typer.Option(
        "--max-retries",
        envvar="SPANFACT_MAX_RETRIES",
        min=0,
        help="For openai:*: retries of a timeout, 429 or 5xx (a Retry-After of up to 60 s is "
        "obeyed) [default: 3].",
        show_default=False,
    ),
]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=False)],
        force=True,
    )


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(styled("error:", "bold red", f" {message}"))
    raise typer.Exit(code)


def _reason(exc: BaseException) -> str:
    """The first line of an error, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where}"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _open_store(path: Path, *, read_only: bool = False, sealed: bool = False) -> Database:
    """The database, or one line saying why it cannot be opened (exit 2), never a traceback."""
    import duckdb

    try:
        return open_db(path, read_only=read_only, sealed=sealed)
    except (FileNotFoundError, DatabaseLockedError, NewerDatabaseError) as exc:
        _fail(str(exc))
    except (OSError, duckdb.Error) as exc:
        _fail(
            f"cannot open the database {path}: {_reason(exc)}; pass --db with a DuckDB file "
            "(new or written by spanfact) in a folder you can write to"
        )


def run_exit_code(counts: RunCounts) -> int:
    """A failed document is worth a retry (1); a run that could read nothing is an error (3)."""
    if counts.n_failed:
        return EXIT_FAILED
    if counts.n_documents + counts.n_skipped == 0:
        return EXIT_NOTHING
    return EXIT_OK


class _CallsColumn(ProgressColumn):
    """Model requests so far: a document may take minutes, and the bar moves per document."""

    def __init__(self, runner: BatchRunner) -> None:
        super().__init__()
        self.runner = runner

    def render(self, task: Task) -> Text:
        return Text(f"{self.runner.n_requests} calls", style="dim")


def _check_strategy(strategy: str) -> None:
    if strategy not in STRATEGIES:
        _fail(f"unknown --strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")


def execute_run(
    paths: list[str],
    db_path: Path,
    model: str,
    options: RunOptions,
    response_format: str | None,
    *,
    quiet: bool = False,
    timeout_s: float | None = None,
    max_retries: int | None = None,
) -> RunSummary:
    """Open the store and the backend, run the batch with a progress bar; exits on setup errors."""
    _check_strategy(options.strategy)
    if options.max_bytes < 1:
        _fail(f"--max-bytes must be at least 1, got {options.max_bytes}")
    # The backend first: a typo in --model must not leave a new database file behind.
    try:
        backend = create_backend(
            model,
            response_format=response_format or None,
            timeout_s=timeout_s,
            max_retries=max_retries,
        )
    except (BackendError, ValueError) as exc:
        _fail(str(exc))
    db = _open_store(db_path)
    try:
        runner = BatchRunner(db, backend, options)
    except (BackendError, PromptError, ValueError) as exc:
        db.close()
        _fail(str(exc))
    counts = {"claims": 0, "rejected": 0, "problems": 0}
    notes: list[DocumentReport] = []

    def first_ctrl_c() -> None:
        runner.stop()
        err.print(
            styled(
                "Ctrl-C:",
                "yellow",
                " finishing the document(s) in progress, then stopping; "
                "press Ctrl-C again to stop now",
            )
        )

    def second_ctrl_c() -> NoReturn:
        err.print(
            styled(
                "Ctrl-C:",
                "yellow",
                " stopped now; documents in progress are not stored; run again to resume",
            )
        )
        if runner.run_id is not None:
            abandon_run(db, runner.run_id)
        # Worker threads cannot be stopped mid-call, and interpreter exit would wait for them.
        os._exit(EXIT_INTERRUPTED)

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stats]}"),
        _CallsColumn(runner),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task("documents", total=None, stats="")

        def on_report(report: DocumentReport) -> None:
            counts["claims"] += report.counts.n_claims
            counts["rejected"] += report.counts.n_rejected
            if report.status not in (DocumentStatus.done, DocumentStatus.skipped):
                counts["problems"] += 1
                progress.console.print(
                    styled(report.status, "yellow", f" {report.origin}: {report.message}")
                )
            if report.note:
                notes.append(report)
                progress.console.print(styled("note", "cyan", f" {report.origin}: {report.note}"))
            elapsed = progress.tasks[0].elapsed or 0.0
            done = progress.tasks[0].completed + 1
            rate = done / elapsed if elapsed > 0 else 0.0
            progress.update(
                task,
                advance=1,
                stats=f"{counts['claims']} claims, {counts['rejected']} rejected, "
                f"{counts['problems']} problems, {rate:.2f} docs/s",
            )

        try:
            with two_stage_interrupt(first_ctrl_c, second_ctrl_c):
                summary = runner.run(
                    paths,
                    stdin=sys.stdin.buffer,
                    progress=on_report,
                    args={"paths": paths, "model": model},
                )
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]: finished documents are stored; run again to resume")
            db.close()
            raise typer.Exit(EXIT_INTERRUPTED) from None
    if not quiet:
        _print_summary(summary)
        if notes:
            err.print(
                styled(
                    "note:",
                    "cyan",
                    f" {len(notes)} document(s) seem not to be in English, which the topic's "
                    f"terms cover: {', '.join(r.origin for r in notes[:5])}"
                    + (" ..." if len(notes) > 5 else ""),
                )
            )
        _print_facts(facts_of_run(db, summary.run_id, summary.config.key))
    db.close()
    if summary.interrupted:
        err.print(
            styled(
                "interrupted:",
                "yellow",
                f" {summary.counts.n_documents} documents extracted and stored; "
                "run again to resume",
            )
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    return summary


def _parse_date_option(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--date {text!r} is not a date; write it as 2025-01-13 or 2025-01-13T09:30")
        raise


def _print_summary(summary: RunSummary) -> None:
    c = summary.counts
    table = Table(title=cell(f"Run {summary.run_id}"), show_header=True)
    for name in ("inputs", "extracted", "skipped", "bad input", "failed", "claims", "rejected"):
        table.add_column(name, justify="right")
    table.add_row(
        *cells(
            c.n_inputs,
            c.n_documents,
            c.n_skipped,
            c.n_bad_inputs,
            c.n_failed,
            c.n_claims,
            c.n_rejected,
        )
    )
    err.print(table)
    tokens = (
        sum(r.prompt_tokens for r in summary.reports),
        sum(r.completion_tokens for r in summary.reports),
    )
    err.print(
        cell(
            f"{c.n_model_calls} model calls, {c.n_cached_calls} answered from cache, "
            f"{tokens[0]} prompt + {tokens[1]} completion tokens, {summary.seconds:.1f} s "
            f"({summary.config.model}, {summary.config.strategy}, "
            f"prompt {summary.config.prompt_name} v{summary.config.prompt_version})"
        )
    )
    if summary.figures is not None:
        err.print(
            f"figures: {summary.figures.n_figures} in all, {summary.figures.n_figures_rebuilt} "
            f"updated in {summary.figures.seconds:.2f} s (spanfact figures)"
        )


def _evidence(quote: str, value: int, width: int = 90) -> str:
    """The part of the quote around the number, so a table row stays one or two lines."""
    if len(quote) <= width:
        return quote
    for form in (f"{value:,}", str(value)):
        at = quote.find(form)
        if at >= 0:
            lo = max(0, at - width // 2)
            return ("…" if lo else "") + quote[lo : lo + width] + "…"
    return quote[:width] + "…"


def _print_facts(result: QueryResult) -> None:
    table = Table(title=f"{len(result.rows)} facts (verified claims)", show_lines=False)
    for col in ("article", "metric", "value", "qualifier", "subject", "source", "evidence"):
        table.add_column(col, overflow="fold")
    for origin, metric, value, low, high, qualifier, subject, source, quote in result.rows:
        shown = f"{low:,}–{high:,}" if low is not None and high is not None else f"{value:,}"
        table.add_row(
            *cells(
                Path(origin).name[:16],
                metric,
                shown,
                qualifier,
                subject,
                source,
                _evidence(quote, value),
            )
        )
    console.print(table)


def _print_table(result: QueryResult, title: str | None = None) -> None:
    table = Table(title=None if title is None else cell(title), show_lines=False)
    for col in result.columns:
        table.add_column(cell(col), overflow="fold")
    for row in result.rows:
        table.add_row(*cells(*row))
    console.print(table)


@app.command()
def run(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Files or folders (.txt .md .html .json .jsonl, recursively), or - for stdin."
        ),
    ],
    db: DbOption = DEFAULT_DB,
    model: ModelOption = "local",
    strategy: StrategyOption = "anchored",
    topic: TopicOption = DEFAULT_TOPIC,
    force: Annotated[bool, typer.Option(help="Redo documents already extracted.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Call the model even for requests it has answered.")
    ] = False,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Documents in flight at once (remote backends).")
    ] = 4,
    max_bytes: Annotated[
        int, typer.Option(help="Skip (and report) input files larger than this.")
    ] = DEFAULT_MAX_BYTES,
    response_format: FormatOption = "",
    timeout: TimeoutOption = None,
    max_retries: MaxRetriesOption = None,
    date: Annotated[
        str,
        typer.Option(
            help="Publication date (ISO 8601, e.g. 2025-01-13) of documents that carry none."
        ),
    ] = "",
    outlet: Annotated[
        str, typer.Option(help="Outlet (e.g. Yonhap) of documents that name none.")
    ] = "",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or tables.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Extract, verify and store the claims of new articles; print the facts stored.

    Documents are keyed by content: a second run skips what is done (use --force to redo), and
    model answers are cached in the llm_calls table (use --no-cache to bypass).
    """
    _setup_logging(verbose)
    options = RunOptions(
        strategy=strategy,
        topic=topic,
        force=force,
        use_cache=not no_cache,
        concurrency=concurrency,
        max_bytes=max_bytes,
        metadata=DocumentMeta(published_at=_parse_date_option(date), outlet=outlet or None),
    )
    summary = execute_run(
        paths,
        db,
        model,
        options,
        response_format,
        quiet=quiet,
        timeout_s=timeout,
        max_retries=max_retries,
    )
    code = run_exit_code(summary.counts)
    if code == EXIT_NOTHING:
        err.print(
            styled(
                "error:",
                "bold red",
                f" nothing could be processed: {summary.counts.n_bad_inputs} of "
                f"{summary.counts.n_inputs} inputs were missing or bad (see above)",
            )
        )
    raise typer.Exit(code)


@app.command()
def sql(
    statement: Annotated[str, typer.Argument(help='SQL, e.g. "SELECT * FROM facts".')],
    db: ReadDbOption = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json")] = "table",
    write: Annotated[bool, typer.Option("--write", help="Allow statements that modify.")] = False,
) -> None:
    """Query the store. Tables: documents, runs, claims, checks, llm_calls, eval_runs, figures,
    figure_claims, figure_checks; views: facts, latest_figures, rejected_claims, conflicts,
    figure_timeline, source_latest_figures, conservative_figures. Read-only unless --write."""
    import duckdb

    if fmt not in ("table", "csv", "json"):
        _fail("--format must be table, csv or json")
    if not statement.strip():
        _fail('give a SQL statement, e.g. spanfact sql "SELECT * FROM facts"')
    # Read-only means no writes anywhere: sealed, DuckDB refuses COPY TO, ATTACH, INSTALL and
    # reading or writing any file but the database.
    database = _open_store(db, read_only=not write, sealed=not write)
    try:
        result = query(database, statement)
    except duckdb.Error as exc:
        message = _reason(exc)
        if not write and ("read-only" in message or isinstance(exc, duckdb.PermissionException)):
            message += (
                " (spanfact sql is read-only and reads only the database; pass --write to "
                "modify it or to read and write other files)"
            )
        _fail(message)
    finally:
        database.close()
    if fmt == "table":
        _print_table(result)
    else:
        _write_rows(result, fmt)


def _write_rows(result: QueryResult, fmt: str) -> None:
    """CSV or JSON to stdout, for pipes."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        sys.stdout.write(buffer.getvalue())
    else:
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        sys.stdout.write(json.dumps(rows, default=str, ensure_ascii=False, indent=1) + "\n")


@app.command()
def export(
    output: Annotated[Path, typer.Argument(help="File to write.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="parquet | csv | jsonl; by default from the file's suffix (.csv, .jsonl, "
            ".parquet), else parquet.",
            show_default=False,
        ),
    ] = None,
    table: Annotated[str, typer.Option("--table", "-t", help=" | ".join(EXPORT_TABLES))] = "facts",
    db: ReadDbOption = DEFAULT_DB,
) -> None:
    """Write the verified facts with their document, quote, offsets and provenance
    (or, with --table, the figures, their claims or their conflicts)."""
    import duckdb

    fmt = fmt or format_for_path(output)
    if fmt not in EXPORT_FORMATS:
        _fail(f"--format must be one of {', '.join(EXPORT_FORMATS)}")
    if table not in EXPORT_TABLES:
        _fail(f"--table must be one of {', '.join(EXPORT_TABLES)}")
    database = _open_store(db, read_only=True)
    try:
        n = export_table(database, output, fmt, table)
    except (OSError, duckdb.Error) as exc:
        _fail(f"cannot write {output}: {_reason(exc)}")
    finally:
        database.close()
    err.print(cell(f"wrote {n} {'facts' if table == 'facts' else table + ' rows'} to {output}"))


@app.command()
def review(
    db: ReadDbOption = DEFAULT_DB,
    run_id: Annotated[
        str | None,
        typer.Option("--run", help="Only the documents of this run, as it extracted them."),
    ] = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder to write the site to.")
    ] = Path("review"),
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the index in a web browser.")
    ] = False,
) -> None:
    """Write a static review site: every claim highlighted in its article, with its checks,
    provenance and model calls; an index of runs, documents, claims and figures."""
    import webbrowser

    from pipeline.review import UnknownRunError, build_review

    database = _open_store(db, read_only=True)
    try:
        site = build_review(database, output, run_id)
    except UnknownRunError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {output}: {_reason(exc)}")
    finally:
        database.close()
    err.print(
        Text(
            f"wrote {len(site.pages)} document pages with {site.n_claims} claims; open {site.index}"
        )
    )
    if open_browser:
        webbrowser.open(site.index.resolve().as_uri())


@app.command()
def figures(
    metric: Annotated[str, typer.Option(help="Only this metric, e.g. killed.")] = "",
    subject: Annotated[str, typer.Option(help="Only subjects containing this.")] = "",
    source: Annotated[str, typer.Option(help="Only sources containing this.")] = "",
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | csv | json")] = "table",
    conflicts: Annotated[
        bool,
        typer.Option("--conflicts", help="Disagreeing figures and sum checks instead."),
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild every figure, not only new ones.")
    ] = False,
    db: ReadDbOption = DEFAULT_DB,
) -> None:
    """The same figure across documents: its hedges, how many documents and outlets carry it,
    and when; with --conflicts, figures that disagree (revisions, contradictions) and checks
    that killed + wounded add up. Brings the figures up to date with the store first."""
    if fmt not in ("table", "csv", "json"):
        _fail("--format must be table, csv or json")
    if metric and metric not in Metric.__members__:
        _fail(f"unknown --metric {metric!r}; choose one of {', '.join(Metric.__members__)}")
    if not db.exists():
        _fail(f"no database at {db}; run `spanfact run` first or pass --db")
    database = _open_store(db)
    chosen = FigureFilter(metric or None, subject or None, source or None)
    try:
        refresh_figures(database, full=rebuild)
        result = (list_conflicts if conflicts else list_figures)(database, chosen)
    finally:
        database.close()
    if fmt != "table":
        _write_rows(result, fmt)
    elif conflicts:
        _print_conflicts(result)
    else:
        _print_figures(result)


def _seen(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else ""


def _print_figures(result: QueryResult) -> None:
    table = Table(title=f"{len(result.rows)} figures")
    for col in ("metric", "subject", "source", "value", "hedges", "docs", "outlets", "first seen",
                "last seen"):  # fmt: skip
        table.add_column(col, overflow="fold", justify="right" if col == "docs" else "left")
    for row in result.rows:
        r = dict(zip(result.columns, row, strict=True))
        value = f"{r['low']:,}–{r['high']:,}" if r["low"] is not None else f"{r['value']:,}"
        outlets = ", ".join(r["outlets"]) if r["outlets"] else ""
        table.add_row(
            escape(r["metric"]),
            escape(r["subject"]),
            escape(r["source"]),
            value,
            escape(", ".join(q.replace("_", " ") for q in r["qualifiers"])),
            str(r["n_documents"]),
            escape(f"{r['n_outlets']}: {outlets}" if outlets else "0"),
            _seen(r["first_seen"]),
            _seen(r["last_seen"]),
        )
    console.print(table)


def _print_conflicts(result: QueryResult) -> None:
    table = Table(title=f"{len(result.rows)} conflicts and checks")
    for col in ("kind", "metric", "subject", "result", "detail", "seen", "document"):
        table.add_column(col, overflow="fold")
    for row in result.rows:
        r = dict(zip(result.columns, row, strict=True))
        if r["passed"] is None:
            verdict = "later: 2nd" if r["later_figure_id"] else ""
        else:
            verdict = "[green]passed[/]" if r["passed"] else "[red]failed[/]"
        seen = " → ".join(s for s in (_seen(r["seen_a"]), _seen(r["seen_b"])) if s)
        table.add_row(
            escape(r["kind"]),
            escape(r["metric"]),
            escape(r["subject"]),
            verdict,
            escape(r["detail"]),
            seen,
            escape(Path(r["document"]).name if r["document"] else ""),
        )
    console.print(table)


@app.command(name="eval")
def eval_command(
    articles: Annotated[Path, typer.Option(help="Folder of articles.")] = Path("data/articles"),
    gold: Annotated[Path, typer.Option(help="Folder of gold JSON files.")] = Path("evals/gold"),
    db: DbOption = DEFAULT_DB,
    model: ModelOption = "local",
    strategy: StrategyOption = "anchored",
    topic: TopicOption = DEFAULT_TOPIC,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Bypass the response cache.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    compare: Annotated[
        tuple[str, str] | None,
        typer.Option(
            help="Compare two stored eval runs: --compare EVAL_A EVAL_B.", show_default=False
        ),
    ] = None,
    min_f1: Annotated[
        float | None, typer.Option(help="Exit 1 when F1 is below this (CI gate).")
    ] = None,
    figure_set: Annotated[
        Path | None,
        typer.Option(
            "--figures",
            help="Score cross-document figures of a figure set instead (e.g. evals/figures/wire).",
            show_default=False,
        ),
    ] = None,
    labelled: Annotated[
        bool,
        typer.Option(
            "--labelled", help="With --figures: build from the hand-labelled claims, no model."
        ),
    ] = False,
    response_format: FormatOption = "",
    timeout: TimeoutOption = None,
    max_retries: MaxRetriesOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Extract the gold articles (through the cache) and score them against the gold set."""
    from evals import harness

    _setup_logging(verbose)
    if figure_set is not None:
        _eval_figures(
            figure_set,
            labelled,
            db,
            model,
            strategy,
            not no_cache,
            response_format,
            as_json=as_json,
        )
        return
    if compare is not None:
        _open_store(db, read_only=True).close()  # a missing or broken file: one line, exit 2
        harness.print_comparison(console, db, compare[0], compare[1], as_json=as_json)
        return
    # Always re-extract, answered from the call log where the request is unchanged: the score
    # is then of today's code, prompts and topic, never of an older run's stored claims.
    options = RunOptions(
        strategy=strategy, topic=topic, use_cache=not no_cache, force=True, command="eval"
    )
    summary = execute_run(
        [str(articles)],
        db,
        model,
        options,
        response_format,
        quiet=True,
        timeout_s=timeout,
        max_retries=max_retries,
    )
    report: dict[str, Any] = harness.evaluate_run(db, summary, articles, gold, topic)
    harness.print_report(console, report, as_json=as_json)
    if min_f1 is not None and report["f1"] < min_f1:
        err.print(f"[bold red]F1 {report['f1']:.3f} is below the floor {min_f1:.3f}[/]")
        raise typer.Exit(1)


def _eval_figures(
    folder: Path,
    labelled: bool,
    db: Path,
    model: str,
    strategy: str,
    use_cache: bool,
    response_format: str,
    *,
    as_json: bool = False,
) -> None:
    from evals import figures as figure_eval

    try:
        spec, articles, _, _ = figure_eval.load_set(folder)
    except (OSError, ValueError) as exc:
        _fail(f"{folder} is not a figure set (set.json, figures.json): {exc}")
        raise
    if labelled:
        store = figure_eval.build_labelled(folder)
    else:
        options = RunOptions(strategy=strategy, topic=spec.topic, use_cache=use_cache,
                             command="eval")  # fmt: skip
        summary = execute_run([str(articles)], db, model, options, response_format, quiet=True)
        store = figure_eval.copy_run(db, summary.run_id, summary.config.key)
    try:
        score = figure_eval.score_set(store, folder)
    finally:
        store.close()
    figure_eval.print_score(console, folder, score, as_json=as_json)


def main() -> None:
    app()

"""The eval run: score what a run stored for the gold articles, store the score, print it."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evals.gold import load_gold
from evals.scoring import HEADLINE_FIGURES, EvalReport, PredictedClaim, compare, score
from pipeline.display import cell, cells
from pipeline.run import RunSummary
from pipeline.store.db import Database, open_db
from pipeline.store.queries import query
from pipeline.topic import load_topic


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def predictions(db: Database, summary: RunSummary) -> dict[str, list[PredictedClaim]]:
    """Claims of the run's current extraction of each input, keyed by article file name."""
    result = query(
        db,
        """
        SELECT DISTINCT ri.origin, c.metric, c.value, c.low, c.high, c.qualifier, c.source,
               c.subject, c.quote, c.status, c.idx
        FROM run_inputs ri
        JOIN extractions e ON e.doc_id = ri.doc_id AND e.config_key = ? AND e.status = 'done'
        JOIN claims c ON c.extraction_id = e.extraction_id
        WHERE ri.run_id = ?
        ORDER BY ri.origin, c.idx
        """,
        [summary.config.key, summary.run_id],
    )
    out: dict[str, list[PredictedClaim]] = {}
    for origin, *fields, _idx in result.rows:
        article = Path(origin).name
        out.setdefault(article, []).append(PredictedClaim(article, *fields))
    return out


def grounding_rate(db: Database, summary: RunSummary) -> float:
    """Share of produced claims (verified or rejected) whose numbers were found in their span."""
    row = query(
        db,
        """
        SELECT count(*) FILTER (WHERE k.passed), count(*)
        FROM run_inputs ri
        JOIN extractions e ON e.doc_id = ri.doc_id AND e.config_key = ? AND e.status = 'done'
        JOIN claims c ON c.extraction_id = e.extraction_id
        LEFT JOIN checks k ON k.claim_id = c.claim_id AND k.name = 'numbers_in_span'
        WHERE ri.run_id = ?
        """,
        [summary.config.key, summary.run_id],
    ).rows[0]
    return float(row[0]) / row[1] if row[1] else 0.0


def evaluate_run(
    db_path: Path, summary: RunSummary, articles: Path, gold_dir: Path, topic: str
) -> dict[str, Any]:
    """Score a run against the gold set. `topic` is the topic as the run was given it (a name
    or a path): the run's config records only the topic's name, which a path does not load."""
    gold = {name: g.claims for name, g in load_gold(gold_dir).items()}
    db = open_db(db_path)
    try:
        normalize = load_topic(topic).source_normalizer()
        report: EvalReport = score(gold, predictions(db, summary), normalize)
        report = replace(report, grounding_rate=grounding_rate(db, summary))
        data = report.to_json_dict()
        eval_id = "eval-" + uuid.uuid4().hex[:8]
        data.update(
            eval_id=eval_id,
            run_id=summary.run_id,
            model=summary.config.model,
            strategy=summary.config.strategy,
            prompt_version=summary.config.prompt_version,
            schema_version=summary.config.schema_version,
            git_commit=git_commit(),
            seconds=round(summary.seconds, 2),
            n_model_calls=summary.counts.n_model_calls,
            n_cached_calls=summary.counts.n_cached_calls,
            n_failed=summary.counts.n_failed,
        )
        _store(db, data, articles, gold_dir, report)
    finally:
        db.close()
    return data


def _store(
    db: Database, data: dict[str, Any], articles: Path, gold_dir: Path, report: EvalReport
) -> None:
    with db.transaction() as con:
        con.execute(
            "INSERT INTO eval_runs (eval_id, run_id, model, strategy, prompt_version, "
            "schema_version, git_commit, articles_dir, gold_dir, n_gold, n_pred, n_matched, "
            "precision, recall, f1, attribution_accuracy, qualifier_accuracy, grounding_rate, "
            "n_rejected, report) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                data["eval_id"],
                data["run_id"],
                data["model"],
                data["strategy"],
                data["prompt_version"],
                data["schema_version"],
                data["git_commit"],
                str(articles),
                str(gold_dir),
                report.n_gold,
                report.n_pred,
                report.n_matched,
                report.precision,
                report.recall,
                report.f1,
                report.attribution_accuracy,
                report.qualifier_accuracy,
                report.grounding_rate,
                report.n_rejected,
                json.dumps(data, default=str),
            ],
        )
        con.executemany(
            "INSERT INTO eval_items (eval_id, article, outcome, metric, value, low, high, gold, "
            "predicted, source_ok, qualifier_ok, quote) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    data["eval_id"],
                    i.article,
                    i.outcome,
                    i.metric,
                    i.value,
                    i.low,
                    i.high,
                    json.dumps(j["gold"]),
                    json.dumps(j["predicted"]),
                    i.source_ok,
                    i.qualifier_ok,
                    i.quote,
                ]
                for i, j in ((item, item.to_json_dict()) for item in report.items)
            ],
        )


def _fmt(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def print_report(console: Console, data: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        slim = {k: v for k, v in data.items() if k != "items"}
        slim["errors"] = [i for i in data["items"] if i["outcome"] != "match"]
        console.print_json(json.dumps(slim, default=str))
        return
    table = Table(title=cell(f"Eval {data['eval_id']} ({data['model']}, {data['strategy']})"))
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name in HEADLINE_FIGURES:
        table.add_row(*cells(name, _fmt(data[name])))
    console.print(table)
    per_metric = Table(title="Per metric")
    for col in ("metric", "gold", "pred", "matched", "P", "R", "F1"):
        per_metric.add_column(col)
    for metric, s in data["per_metric"].items():
        figures = ("n_gold", "n_pred", "n_matched", "precision", "recall", "f1")
        per_metric.add_row(*cells(metric, *(_fmt(s[k]) for k in figures)))
    console.print(per_metric)
    errors = Table(title="Misses and false positives", show_lines=True)
    for col in ("article", "outcome", "metric", "value", "source", "quote"):
        errors.add_column(col, overflow="fold")
    for item in data["items"]:
        if item["outcome"] == "match":
            continue
        src = (item["gold"] or item["predicted"] or {}).get("source")
        value = item["value"] if item["low"] is None else f"{item['low']}-{item['high']}"
        errors.add_row(
            *cells(item["article"], item["outcome"], item["metric"], value, src, item["quote"])
        )
    console.print(errors)


def print_comparison(console: Console, db_path: Path, a: str, b: str, *, as_json: bool) -> None:
    db = open_db(db_path, read_only=True)
    try:
        rows = query(db, "SELECT eval_id, report FROM eval_runs WHERE eval_id IN (?, ?)", [a, b])
    finally:
        db.close()
    reports = {r[0]: json.loads(r[1]) if isinstance(r[1], str) else r[1] for r in rows.rows}
    missing = [e for e in (a, b) if e not in reports]
    if missing:
        raise SystemExit(f"no eval run {', '.join(missing)}; see: spanfact sql 'FROM eval_runs'")
    result = compare(reports[a], reports[b])
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "figures": [
                        {"name": f.name, "before": f.before, "after": f.after}
                        for f in result.figures
                    ],
                    "flips": [vars(f) for f in result.flips],
                },
                default=str,
            )
        )
        return
    table = Table(title=cell(f"{a} -> {b}"))
    for col in ("figure", a, b, "change"):
        table.add_column(cell(col), justify="right")
    for f in result.figures:
        change = "" if f.change is None else f"{f.change:+.3f}"
        table.add_row(*cells(f.name, _fmt(f.before), _fmt(f.after), change))
    console.print(table)
    flips = Table(title="Claims that changed outcome")
    for col in ("article", "metric", "value", "before", "after", "quote"):
        flips.add_column(col, overflow="fold")
    for flip in result.flips:
        flips.add_row(
            *cells(
                flip.article,
                flip.metric,
                flip.value,
                flip.before,
                flip.after,
                (flip.quote or "")[:100],
            )
        )
    console.print(flips)

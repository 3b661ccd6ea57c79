"""Article folders for the batch-run tests: small on-topic documents, one labelled sentence each."""

from __future__ import annotations

from pathlib import Path


def article(i: int) -> str:
    """One on-topic sentence with exactly one number (100 + i), so one model call per document."""
    return f"Russia said {100 + i} North Korean troops were killed near Kursk.\n"


def write_articles(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"doc_{i:02d}.txt"
        path.write_text(article(i), encoding="utf-8")
        paths.append(path)
    return paths

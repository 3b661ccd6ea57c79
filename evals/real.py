"""Real-news measurement sets: labels as character offsets, the texts kept outside the repository.

A real article's sentences are not ours to commit, so `evals/real/<topic>/*.json` holds only
its address, the sha256 of the text that was labelled, and each claim as `start`/`end` offsets
into that text. `materialise` checks every text against its sha256 and writes an ordinary
articles + gold folder pair (quotes cut from the text) that `spanfact eval` scores as usual:

    python -m evals.real evals/real/disaster --texts /work/realnews/disaster --out /tmp/real-d
    spanfact eval --articles /tmp/real-d/articles --gold /tmp/real-d/gold --topic disaster
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from evals.gold import GoldClaim, GoldFile


class OffsetClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: int
    end: int
    metric: str
    value: int
    low: int | None
    high: int | None
    qualifier: str
    subject: str
    source: str | None
    location: str | None


class RealLabels(BaseModel):
    model_config = ConfigDict(extra="ignore")

    address: str
    text_file: str
    sha256: str
    claims: list[OffsetClaim]


class RealSetError(ValueError):
    """A label file does not fit the text it names."""


def to_gold(labels: RealLabels, text: str, origin: str) -> GoldFile:
    """The gold file for one real article, after checking its text is the one labelled."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if digest != labels.sha256:
        raise RealSetError(f"{origin}: {labels.text_file} is not the text that was labelled")
    claims = []
    for c in labels.claims:
        if not 0 <= c.start < c.end <= len(text):
            raise RealSetError(f"{origin}: offsets {c.start}-{c.end} are outside the text")
        fields = c.model_dump(exclude={"start", "end"})
        claims.append(GoldClaim.model_validate({"quote": text[c.start : c.end], **fields}))
    return GoldFile(article=labels.text_file, claims=claims)


def materialise(labels_dir: Path, texts_dir: Path, out: Path) -> int:
    """Write `out/articles` and `out/gold`; return the number of articles."""
    (out / "articles").mkdir(parents=True, exist_ok=True)
    (out / "gold").mkdir(parents=True, exist_ok=True)
    n = 0
    for path in sorted(labels_dir.glob("*.json")):
        labels = RealLabels.model_validate_json(path.read_text(encoding="utf-8"))
        text = (texts_dir / labels.text_file).read_text(encoding="utf-8")
        gold = to_gold(labels, text, str(path))
        (out / "articles" / labels.text_file).write_text(text, encoding="utf-8")
        stem = Path(labels.text_file).stem
        (out / "gold" / f"{stem}.json").write_text(
            json.dumps(gold.model_dump(mode="json"), ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=Path, help="folder of offset label files")
    parser.add_argument("--texts", type=Path, required=True, help="folder of the article texts")
    parser.add_argument("--out", type=Path, required=True, help="where to write articles/gold")
    args = parser.parse_args(argv)
    try:
        n = materialise(args.labels, args.texts, args.out)
    except (OSError, RealSetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{n} articles written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

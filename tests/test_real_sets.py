"""Real-news label files: offsets into texts kept outside the repository."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from evals.gold import load_gold
from evals.real import RealLabels, RealSetError, materialise, to_gold

ROOT = Path(__file__).resolve().parents[1]
TEXT = "Kyiv said 40 North Korean soldiers were captured. Officials met twice."


def _labels(text: str, **changes: object) -> dict[str, object]:
    start = text.index("Kyiv")
    end = text.index("captured.") + len("captured.")
    labels: dict[str, object] = {
        "address": "https://example.org/a",
        "text_file": "r01.txt",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "claims": [
            {
                "start": start,
                "end": end,
                "metric": "captured",
                "value": 40,
                "low": None,
                "high": None,
                "qualifier": "exact",
                "subject": "North Korean troops",
                "source": "Ukraine",
                "location": None,
            }
        ],
    }
    labels.update(changes)
    return labels


def test_materialise_cuts_quotes_from_the_text_and_writes_a_scorable_pair(tmp_path: Path) -> None:
    (tmp_path / "labels").mkdir()
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "r01.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "labels" / "r01.json").write_text(json.dumps(_labels(TEXT)), encoding="utf-8")
    assert materialise(tmp_path / "labels", tmp_path / "texts", tmp_path / "out") == 1
    gold = load_gold(tmp_path / "out" / "gold")
    (claim,) = gold["r01.txt"].claims
    assert claim.quote == "Kyiv said 40 North Korean soldiers were captured."
    assert (tmp_path / "out" / "articles" / "r01.txt").read_text(encoding="utf-8") == TEXT


def test_a_changed_text_is_refused() -> None:
    labels = RealLabels.model_validate(_labels(TEXT))
    with pytest.raises(RealSetError, match="not the text that was labelled"):
        to_gold(labels, TEXT.replace("40", "41"), "r01.json")


def test_offsets_outside_the_text_are_refused() -> None:
    raw = _labels(TEXT)
    raw["claims"][0]["end"] = len(TEXT) + 5  # type: ignore[index]
    with pytest.raises(RealSetError, match="outside the text"):
        to_gold(RealLabels.model_validate(raw), TEXT, "r01.json")


REAL_SETS = sorted(
    (path.parent.name, path.name)
    for path in (ROOT / "evals").glob("real*/*")
    if path.is_dir() and any(path.glob("*.json"))
)


def test_every_real_batch_is_checked() -> None:
    assert {"real", "real-heldout", "real5", "real6"} <= {folder for folder, _ in REAL_SETS}


@pytest.mark.parametrize(("folder", "topic"), REAL_SETS)
def test_committed_real_labels_hold_no_article_text(folder: str, topic: str) -> None:
    # Only offsets, hashes and addresses may be committed; no label file carries a sentence.
    files = sorted((ROOT / "evals" / folder / topic).glob("*.json"))
    assert len(files) >= 8
    for path in files:
        labels = RealLabels.model_validate_json(path.read_text(encoding="utf-8"))
        assert len(labels.sha256) == 64 and labels.address.startswith("http")
        assert "quote" not in path.read_text(encoding="utf-8")

"""The gold set itself, and the loader that guards it.

The first group checks the shipped files against the labelling guide (evals/README.md): a gold
file that drifts from its article makes every later eval wrong without any error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evals.gold import GoldClaim, GoldError, GoldFile, load_gold
from pipeline.topic import load_topic

ROOT = Path(__file__).resolve().parents[1]
GOLD_DIR = ROOT / "evals" / "gold"
ARTICLES_DIR = ROOT / "data" / "articles"
HELDOUT = ROOT / "evals" / "heldout"
ALIASES = load_topic("ukraine_dprk").aliases()
# (articles, gold): the set the pipeline was developed on, the held-out check set, and the
# synthetic sets of every topic (evals/sets/<topic>-<dev|heldout>).
HOME_SETS = {"gold": (ARTICLES_DIR, GOLD_DIR), "heldout": (HELDOUT / "articles", HELDOUT / "gold")}
SETS = {
    **HOME_SETS,
    **{
        d.name: (d / "articles", d / "gold")
        for d in sorted((ROOT / "evals" / "sets").iterdir())
        if d.is_dir()
    },
}


def _gold_claims(sets: dict[str, tuple[Path, Path]]) -> list[tuple[Path, str, int, GoldClaim]]:
    return [
        (articles, article, i, claim)
        for articles, gold_dir in sets.values()
        for article, gf in sorted(load_gold(gold_dir).items())
        for i, claim in enumerate(gf.claims)
    ]


GOLD_CLAIMS = _gold_claims(SETS)
HOME_CLAIMS = _gold_claims(HOME_SETS)
CLAIM_IDS = [f"{article}[{i}]" for _, article, i, _ in GOLD_CLAIMS]
CLAIM_ARGS = ("articles", "article", "index", "claim")


# --- The shipped gold sets ------------------------------------------------------------------


@pytest.mark.parametrize("name", SETS)
def test_every_gold_file_parses(name: str) -> None:
    _, gold_dir = SETS[name]
    gold = load_gold(gold_dir)
    assert len(gold) == len(list(gold_dir.glob("*.json"))) > 0
    assert all(gf.claims for gf in gold.values())


@pytest.mark.parametrize("name", SETS)
def test_gold_covers_every_article_and_nothing_else(name: str) -> None:
    articles_dir, gold_dir = SETS[name]
    articles = {p.name for p in articles_dir.glob("*.txt")}
    assert articles, f"no articles in {articles_dir}"
    assert set(load_gold(gold_dir)) == articles


@pytest.mark.parametrize(CLAIM_ARGS, GOLD_CLAIMS, ids=CLAIM_IDS)
def test_quote_is_an_exact_substring_of_its_article(
    articles: Path, article: str, index: int, claim: GoldClaim
) -> None:
    text = (articles / article).read_text(encoding="utf-8")
    assert claim.quote in text


@pytest.mark.parametrize(CLAIM_ARGS, GOLD_CLAIMS, ids=CLAIM_IDS)
def test_every_number_appears_in_its_quote(
    articles: Path, article: str, index: int, claim: GoldClaim
) -> None:
    # Imported here, not at the top, so that the other gold checks still run while
    # pipeline/text/numbers.py is missing; this test then fails with the ImportError, as it should.
    from pipeline.text.numbers import values_in

    found = values_in(claim.quote)
    numbers = {claim.value} | {n for n in (claim.low, claim.high) if n is not None}
    assert numbers <= found, f"{sorted(numbers - found)} not in {claim.quote!r}"


@pytest.mark.parametrize(CLAIM_ARGS, HOME_CLAIMS, ids=[f"{a}[{i}]" for _, a, i, _ in HOME_CLAIMS])
def test_gold_sources_are_fixed_points_of_the_alias_table(
    articles: Path, article: str, index: int, claim: GoldClaim
) -> None:
    # Scoring normalises gold sources too; a gold name the table rewrote would make every
    # prediction for it look misattributed.
    assert ALIASES.normalize(claim.source) == claim.source


# --- The loader -----------------------------------------------------------------------------

ARTICLE = "007_x.txt"


def _claim(**changes: Any) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "quote": "NIS said 300 were killed.",
        "metric": "killed",
        "value": 300,
        "low": None,
        "high": None,
        "qualifier": "exact",
        "subject": "North Korean troops",
        "source": "South Korea NIS",
        "location": None,
    }
    claim.update(changes)
    return claim


def _write(tmp_path: Path, data: Any, name: str = "007_x.json") -> Path:
    path = tmp_path / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_gold_keys_by_article(tmp_path: Path) -> None:
    _write(tmp_path, {"article": ARTICLE, "claims": [_claim()]})
    _write(tmp_path, {"article": "008_y.txt", "claims": []}, name="008_y.json")
    gold = load_gold(tmp_path)
    assert list(gold) == [ARTICLE, "008_y.txt"]
    assert gold[ARTICLE] == GoldFile(article=ARTICLE, claims=[GoldClaim.model_validate(_claim())])
    assert gold["008_y.txt"].claims == []


def test_range_claim_loads(tmp_path: Path) -> None:
    rng = _claim(metric="deployed", value=10000, low=10000, high=12000)
    _write(tmp_path, {"article": ARTICLE, "claims": [rng]})
    [claim] = load_gold(tmp_path)[ARTICLE].claims
    assert (claim.value, claim.low, claim.high) == (10000, 10000, 12000)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ('{"article": "007_x.txt", "claims": [}', "malformed JSON at line 1"),
        ({"article": ARTICLE, "claims": [_claim(metric="kiled")]}, "claims[0].metric"),
        ({"article": ARTICLE, "claims": [_claim(qualifier="approx")]}, "claims[0].qualifier"),
        ({"article": ARTICLE, "claims": [_claim(value="300")]}, "claims[0].value"),
        ({"article": ARTICLE, "claims": [_claim(value=300.0)]}, "claims[0].value"),
        ({"article": ARTICLE, "claims": [_claim(quote="")]}, "claims[0].quote"),
        ({"article": ARTICLE, "claims": [_claim(sorce="NIS")]}, "claims[0].sorce"),
        ({"article": ARTICLE, "claims": [{"quote": "x", "metric": "killed"}]}, "claims[0].value"),
        ({"article": ARTICLE}, "claims: Field required"),
        ({"article": ARTICLE, "claims": [_claim(), _claim(low=1)]}, "claims[1]: Value error"),
        ({"article": ARTICLE, "claims": [_claim(low=300, high=200)]}, "not below high"),
        ({"article": ARTICLE, "claims": [_claim(low=200, high=400)]}, "must equal low"),
        ({"article": "009_other.txt", "claims": []}, "does not match the file name"),
        ({"article": ARTICLE, "claims": [_claim(), _claim(quote="again")]}, "repeats claims[0]"),
    ],
)
def test_bad_gold_file_names_file_and_problem(tmp_path: Path, data: Any, fragment: str) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(GoldError) as exc:
        load_gold(tmp_path)
    assert exc.value.path == path
    assert str(exc.value).startswith(f"{path}: ")
    assert fragment in str(exc.value)


def test_same_figure_from_another_source_is_not_a_repeat(tmp_path: Path) -> None:
    claims = [_claim(), _claim(source="South Korea", qualifier="at_least")]
    _write(tmp_path, {"article": ARTICLE, "claims": claims})
    assert len(load_gold(tmp_path)[ARTICLE].claims) == 2


def test_missing_or_empty_gold_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GoldError, match="does not exist"):
        load_gold(tmp_path / "nope")
    with pytest.raises(GoldError, match=r"no \*\.json"):
        load_gold(tmp_path)


def test_gold_error_is_a_value_error() -> None:
    assert issubclass(GoldError, ValueError)

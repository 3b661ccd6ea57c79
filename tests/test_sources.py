"""Source-name normalisation: the shipped alias table and the loader's rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.sources import SourceAliasError, SourceAliases, clean_source, load_aliases
from pipeline.topic import load_topic

ROOT = Path(__file__).resolve().parents[1]

# The canonical names of the labelling guide (evals/README.md, rule 7) that the table must know.
README_CANONICALS = [
    "South Korea NIS",
    "South Korea",
    "South Korea JCS",
    "Ukraine",
    "Ukraine GUR",
    "ISW",
    "Pentagon",
    "White House",
    "US and Ukraine",
    "Ukrainian and Western assessments",
]


@pytest.fixture(scope="module")
def aliases() -> SourceAliases:
    table = load_topic("ukraine_dprk").aliases()
    assert table is not None
    return table


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # South Korea: agencies before the country.
        ("NIS", "South Korea NIS"),
        ("South Korea's National Intelligence Service", "South Korea NIS"),
        ("South Korea’s National Intelligence Service (NIS)", "South Korea NIS"),
        ("Seoul's spy agency", "South Korea NIS"),
        ("South Korea’s spy agency", "South Korea NIS"),
        ("Seoul’s intelligence", "South Korea NIS"),
        ("South Korea's intelligence agency", "South Korea NIS"),
        ("a South Korean lawmaker citing Seoul's intelligence", "South Korea NIS"),
        ("the JCS", "South Korea JCS"),
        ("Joint Chiefs of Staff", "South Korea JCS"),
        ("South Korea's military", "South Korea JCS"),
        ("Seoul", "South Korea"),
        ("South Korean government", "South Korea"),
        # Ukraine: military intelligence before the state.
        ("Ukraine's military intelligence (GUR)", "Ukraine GUR"),
        ("Ukraine’s military intelligence agency", "Ukraine GUR"),
        ("the GUR", "Ukraine GUR"),
        ("HUR", "Ukraine GUR"),
        ("Kyrylo Budanov", "Ukraine GUR"),
        ("Kyiv", "Ukraine"),
        ("Ukrainian officials", "Ukraine"),
        ("President Volodymyr Zelenskyy", "Ukraine"),
        ("Zelensky", "Ukraine"),
        ("Zelenksy", "Ukraine"),  # a typo the articles really contain
        # Joint and compound sources before their parts.
        ("the US and Ukraine", "US and Ukraine"),
        ("U.S. and Ukraine", "US and Ukraine"),
        ("Ukrainian and Western assessments", "Ukrainian and Western assessments"),
        # Others.
        ("Institute for the Study of War", "ISW"),
        ("the Institute for the Study of War (ISW)", "ISW"),
        ("Pentagon press secretary Pat Ryder", "Pentagon"),
        ("U.S. Department of Defense", "Pentagon"),
        ("US Joint Chiefs of Staff", "Pentagon"),
        ("NSC spokesperson John Kirby", "White House"),
        ("the Kremlin", "Russia"),
        ("Russian Defence Ministry", "Russia"),
        ("KCNA", "North Korea"),
        ("Pyongyang", "North Korea"),
        ("U.S. officials", "US"),
        ("Washington", "US"),
        ("British intelligence", "UK Ministry of Defence"),
        ("Britain", "UK"),
        ("Yonhap News Agency", "Yonhap"),
    ],
)
def test_aliases_map_to_canonical(aliases: SourceAliases, raw: str, canonical: str) -> None:
    assert aliases.normalize(raw) == canonical


@pytest.mark.parametrize("name", README_CANONICALS)
def test_readme_canonicals_are_in_the_table_and_fixed_points(
    aliases: SourceAliases, name: str
) -> None:
    # Gold files use these names; scoring normalises gold too, so they must map to themselves.
    assert name in aliases.canonical_names
    assert aliases.normalize(name) == name


def test_every_canonical_is_a_fixed_point(aliases: SourceAliases) -> None:
    for name in aliases.canonical_names:
        assert aliases.normalize(name) == name
        assert aliases.normalize(name.upper()) == name


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "null", "NULL", "None", "unknown", "Unattributed", "n/a"]
)
def test_nobody_is_none(aliases: SourceAliases, raw: str | None) -> None:
    assert aliases.normalize(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Chatham House", "Chatham House"),
        ("  the Chatham   House ", "Chatham House"),
        ("Washington Post", "Washington Post"),  # the newspaper, not the US government
        ("Tunisia", "Tunisia"),  # "NIS" inside a word is not the NIS
        ("told us", "told us"),  # the pronoun, not the country
    ],
)
def test_unknown_names_pass_through_tidied(aliases: SourceAliases, raw: str, expected: str) -> None:
    assert aliases.normalize(raw) == expected


def test_clean_source() -> None:
    assert clean_source("Seoul’s spy agency") == "Seoul spy agency"
    assert clean_source("the U.S. Department of Defense") == "US Department of Defense"
    assert (
        clean_source("Ukraine's military intelligence (GUR)") == "Ukraine military intelligence GUR"
    )
    assert clean_source("Gen. Ryder") == "Gen Ryder"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aliases.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_first_matching_entry_wins(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[[source]]\nname = \"Broad\"\npatterns = ['\\bkorea\\b']\n"
        "[[source]]\nname = \"Specific\"\npatterns = ['\\bkorea spy\\b']\n",
    )
    assert load_aliases(path).normalize("Korea spy agency") == "Broad"


def test_case_sensitive_pattern_opt_in(tmp_path: Path) -> None:
    path = _write(tmp_path, "[[source]]\nname = \"US\"\npatterns = ['(?-i:\\bUS\\b)']\n")
    table = load_aliases(path)
    assert table.normalize("US officials") == "US"
    assert table.normalize("told us") == "told us"


def test_table_version_and_null_names_are_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        'version = "7"\nnull_names = ["Nobody"]\n'
        "[[source]]\nname = \"X\"\npatterns = ['\\bx\\b']\n",
    )
    table = load_aliases(path)
    assert table.version == "7"
    assert table.normalize("nobody") is None
    assert table.normalize("unknown") == "unknown"  # the file's list replaces the default


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[source]\n", "not valid TOML"),
        ('[[source]]\nname = "X"\npattern = ["x"]\n', "pattern"),
        ('[[source]]\nname = "X"\npatterns = []\n', "patterns"),
        ('[[source]]\nname = "X"\npatterns = ["(unclosed"]\n', "bad pattern '(unclosed'"),
        ('[[source]]\nname = "X"\npatterns = ["  "]\n', "empty pattern"),
        (
            '[[source]]\nname = "X"\npatterns = ["x"]\n[[source]]\nname = "x"\npatterns = ["y"]\n',
            "listed twice",
        ),
        ('version = "1"\n', "source"),
    ],
)
def test_bad_tables_name_file_and_problem(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SourceAliasError) as exc:
        load_aliases(path)
    assert str(path) in str(exc.value)
    assert fragment in str(exc.value)


def test_missing_table_is_a_source_alias_error(tmp_path: Path) -> None:
    with pytest.raises(SourceAliasError, match="cannot read"):
        load_aliases(tmp_path / "nope.toml")

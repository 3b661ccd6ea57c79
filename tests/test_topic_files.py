"""Topic files: the README's worked example loads and runs, and a minimal file inherits the
generic cues."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pipeline.backends.fake import FakeBackend
from pipeline.extract.anchored import AnchoredStrategy
from pipeline.topic import load_topic

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_topic() -> str:
    section = README.read_text(encoding="utf-8").split("## Topic files", 1)[1]
    match = re.search(r"```toml\n(.*?)```", section, re.S)
    assert match, "the README's Topic files section has a toml example"
    return match.group(1)


def first_option_responder(messages: list[dict[str, Any]]) -> str:
    """Answers each item with its first option: the metric its cues name."""
    items = re.findall(r"^\[(\d+)\] [^:\n]*(?:: ([a-z_]+))?", messages[-1]["content"], re.M)
    return json.dumps({"labels": {i: metric or "none" for i, metric in items}})


def test_the_readme_worked_example_loads_and_labels_by_its_cues(tmp_path: Path) -> None:
    path = tmp_path / "migrant_boats.toml"
    path.write_text(readme_topic(), encoding="utf-8")
    topic = load_topic(str(path))
    assert topic.name == "migrant_boats"
    assert topic.label_metrics == (
        "killed", "missing", "rescued", "arrested", "deployed", "other", "none",
    )  # fmt: skip
    assert topic.aliases() is not None
    assert topic.aliases().normalize("the International Organization for Migration") == "IOM"
    text = (
        "LAMPEDUSA -- At least 41 migrants drowned and 12 are missing after their boat "
        "capsized, the IOM said. The coast guard said it rescued 57 people and sent 3 patrol boats."
    )
    strategy = AnchoredStrategy(FakeBackend(first_option_responder), topic)
    got = [
        (c.claim.metric.value, c.claim.value, c.claim.source) for c in strategy.extract(text).claims
    ]
    assert got == [
        ("killed", 41, "the IOM"),
        ("missing", 12, "the IOM"),
        ("rescued", 57, "The coast guard"),
        ("deployed", 3, "The coast guard"),
    ]


def test_a_minimal_topic_file_inherits_the_generic_cues(tmp_path: Path) -> None:
    path = tmp_path / "quakes.toml"
    path.write_text(
        'name = "quakes"\nversion = "1"\ndescription = "earthquakes"\n'
        'topic_terms = ["quake"]\n[metrics]\nkilled = "people killed"\n'
        'wounded = "people injured"\nmissing = "people missing"\n',
        encoding="utf-8",
    )
    topic = load_topic(str(path))
    assert "death toll" in topic.metric_cues["killed"]
    assert "injured" in topic.metric_cues["wounded"]
    text = "The quake's death toll rose to 212 and 1,400 were injured; 30 remain missing."
    strategy = AnchoredStrategy(FakeBackend(first_option_responder), topic)
    got = [(c.claim.metric.value, c.claim.value) for c in strategy.extract(text).claims]
    assert got == [("killed", 212), ("wounded", 1400), ("missing", 30)]

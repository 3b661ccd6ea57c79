"""Both extraction strategies with scripted models: what is asked, kept and rejected."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from pipeline.backends.cached import CachedBackend
from pipeline.backends.call_log import CallLog
from pipeline.backends.fake import FakeBackend
from pipeline.extract.anchored import AnchoredStrategy
from pipeline.extract.cues import MetricCues, allowed_metrics, inflections
from pipeline.extract.whole import WholeStrategy, chunks
from pipeline.grounding import claim_checker, ground
from pipeline.store.db import Database
from pipeline.text.article import Article
from pipeline.topic import Topic
from schemas.claims import ClaimList, LabelMetric
from schemas.records import ClaimStatus, Provenance

ARTICLE = (
    "South Korea's spy agency said about 300 North Korean soldiers were killed and 2,700 "
    "wounded in Kursk since October 2024.\n"
    "Kyiv said the 19-year-old was one of two soldiers captured, and that 11,000 troops "
    "were sent.\n"
    "OTHER NEWS: A two-person crew is missing after a jet crashed in the Philippines, police said."
)
PROV = Provenance(
    model="fake", strategy="t", prompt_name="p", prompt_version="1", schema_version="1"
)


def label_all(metrics: dict[str, str]) -> Any:
    """A responder that labels each marked number by its text, `none` when unknown."""

    def respond(messages: list[dict[str, Any]]) -> str:
        user = messages[-1]["content"]
        items = [line for line in user.splitlines() if line.startswith("[")]
        labels = {
            str(i): metrics.get(re.split(r"[(:]", line.split("]", 1)[1])[0].strip(), "none")
            for i, line in enumerate(items, start=1)
        }
        return json.dumps({"labels": labels})

    return respond


def test_anchored_labels_only_count_mentions_of_on_topic_sentences(topic: Topic) -> None:
    fake = FakeBackend(
        label_all({"300": "killed", "2,700": "wounded", "two": "captured", "11,000": "deployed"})
    )
    outcome = AnchoredStrategy(fake, topic).extract(ARTICLE)
    asked = "\n".join(call["messages"][-1]["content"] for call in fake.calls)
    # Years, dates and ages are never put to the model; the off-topic story is not either.
    assert "[1:300]" in asked and "[2:2,700]" in asked
    assert "2024]" not in asked and "19]" not in asked
    assert ":two]-person" not in asked and len(fake.calls) == 1
    got = {(c.claim.metric.value, c.claim.value, c.claim.qualifier.value) for c in outcome.claims}
    assert got == {
        ("killed", 300, "about"),
        ("wounded", 2700, "exact"),
        ("captured", 2, "exact"),
        ("deployed", 11000, "exact"),
    }
    for c in outcome.claims:
        assert c.anchor is not None
        assert ARTICLE[c.anchor.start : c.anchor.end] == c.claim.quote


def test_anchored_offers_every_metric_and_shows_the_cues_as_hints(topic: Topic) -> None:
    fake = FakeBackend(label_all({"300": "killed", "2,700": "wounded"}))
    AnchoredStrategy(fake, topic, cue_mode="hint").extract(ARTICLE.splitlines()[0])
    schema = fake.calls[0]["response_format"]["schema"]
    assert schema["$defs"]["Labels"]["required"] == ["1", "2"]
    enums = [schema["$defs"]["Labels"]["properties"][k]["enum"] for k in ("1", "2")]
    assert enums == [list(topic.label_metrics)] * 2
    asked = fake.calls[0]["messages"][-1]["content"]
    assert "[1] 300 (hint: killed)" in asked and "[2] 2,700 (hint: wounded)" in asked


def test_a_cue_earlier_in_the_sentence_is_still_a_hint(topic: Topic) -> None:
    # The cue sits before the number, beyond its clause window: a filter would offer only
    # `other` and `none`; the hint still names the right metric and the grammar allows it.
    text = (
        "The death toll among Russian conscripts from Sunday's strike on the Kursk barracks "
        "has climbed to 212, Kyiv said."
    )
    fake = FakeBackend(label_all({"212": "killed"}))
    outcome = AnchoredStrategy(fake, topic, cue_mode="hint").extract(text)
    asked = fake.calls[0]["messages"][-1]["content"]
    assert "[1] 212 (hint: killed)" in asked
    assert [(c.claim.metric.value, c.claim.value) for c in outcome.claims] == [("killed", 212)]


def test_filter_mode_limits_each_number_to_the_metrics_its_clause_names(topic: Topic) -> None:
    fake = FakeBackend(label_all({"300": "killed", "2,700": "wounded"}))
    AnchoredStrategy(fake, topic, cue_mode="filter").extract(ARTICLE.splitlines()[0])
    schema = fake.calls[0]["response_format"]["schema"]
    enums = [schema["$defs"]["Labels"]["properties"][k]["enum"] for k in ("1", "2")]
    assert enums == [["killed", "other", "none"], ["wounded", "other", "none"]]


def test_number_paragraphs_share_a_request_and_each_is_read_once(topic: Topic) -> None:
    text = (
        "Kyiv said 40 Russian soldiers were killed near Kursk. Another 90 were wounded there.\n"
        "The fighting in Kursk went on through the night.\n"
        "Ukraine said 12 North Korean soldiers were captured in Kursk."
    )
    fake = FakeBackend(label_all({"40": "killed", "90": "wounded", "12": "captured"}))
    outcome = AnchoredStrategy(fake, topic).extract(text)
    assert len(fake.calls) == 1  # the template and the answer's wrapping are paid once
    asked = fake.calls[0]["messages"][-1]["content"]
    # Each number paragraph once, on its own line; the paragraph without a number not at all.
    assert "there.\nUkraine said [3:12]" in asked and "[1:40]" in asked and "[2:90]" in asked
    assert "through the night" not in asked
    assert {(c.claim.metric.value, c.claim.value) for c in outcome.claims} == {
        ("killed", 40),
        ("wounded", 90),
        ("captured", 12),
    }
    quotes = {c.claim.value: c.claim.quote for c in outcome.claims}
    assert quotes[90] == "Another 90 were wounded there."


def test_anchored_model_failure_is_reported_not_raised(topic: Topic) -> None:
    fake = FakeBackend(lambda messages: '{"labels": [')
    outcome = AnchoredStrategy(fake, topic).extract(ARTICLE)
    assert outcome.claims == [] and outcome.errors


def test_metric_cues_prefer_events_after_the_number(topic: Topic) -> None:
    cues = MetricCues.from_config(topic.metric_cues, topic.noun_metrics)
    assert (
        allowed_metrics(cues, " troops were killed or wounded", "")[0]
        is LabelMetric.killed_or_wounded
    )
    assert (
        allowed_metrics(cues, " troops to Russia", "announced it had sent ")[0]
        is LabelMetric.deployed
    )
    assert allowed_metrics(cues, " have been injured", "")[0] is LabelMetric.wounded
    # No cue at all: only `other` or `none`.
    assert allowed_metrics(cues, " villages nearby", "The casualties occurred around ") == [
        LabelMetric.other,
        LabelMetric.none,
    ]


def test_metric_cues_reach_past_modifiers_and_name_prisoners(topic: Topic) -> None:
    cues = MetricCues.from_config(topic.metric_cues)
    after = " KN-23 and KN-24 ballistic missiles, about half"
    assert LabelMetric.munitions_supplied in allowed_metrics(cues, after, "provided Russia with")
    taken = allowed_metrics(cues, " North Korean soldiers prisoner in the fighting", "taken")
    assert LabelMetric.captured in taken


@pytest.mark.parametrize(
    ("text", "number", "source"),
    [
        # The sentence's own speaker, known to the alias table or not.
        (
            "About 300 North Korean troops were killed in Kursk, Seoul's spy agency said.",
            "300",
            "Seoul's spy agency",
        ),
        ("A local blogger said 30 soldiers were killed in Kursk.", "30", "A local blogger"),
        # Credited a sentence later in the same paragraph.
        (
            "At least 40 soldiers were killed in Kursk. The Pentagon said it was provisional.",
            "40",
            "The Pentagon",
        ),
        # Nobody named: no source, whatever a model would make up.
        ("About 300 North Korean troops were killed in Kursk.", "300", None),
        # A pronoun is nobody the reader can check.
        ("He said 25 soldiers were killed in Kursk.", "25", None),
    ],
)
def test_the_source_is_read_off_the_paragraph_not_generated(
    topic: Topic, text: str, number: str, source: str | None
) -> None:
    fake = FakeBackend(label_all({number: "killed"}))
    outcome = AnchoredStrategy(fake, topic).extract(text)
    assert [(e.claim.value, e.claim.source) for e in outcome.claims] == [(int(number), source)]
    # The model is asked for labels only: nothing in the schema lets it write a name.
    schema = fake.calls[0]["response_format"]["schema"]
    assert schema["$defs"]["Labels"]["properties"] == {
        "1": {"enum": ["killed", "other", "none"], "title": "1", "type": "string"}
    }


def claims_json(*claims: dict[str, Any]) -> str:
    return json.dumps({"claims": list(claims)})


def claim(**kw: Any) -> dict[str, Any]:
    base = {
        "metric": "killed",
        "value": 300,
        "low": None,
        "high": None,
        "qualifier": "about",
        "subject": "soldiers",
        "source": "NIS",
        "location": "Kursk",
        "time_reference": None,
        "quote": "about 300 North Korean soldiers were killed",
    }
    return {**base, **kw}


def test_whole_grounded_answer_is_accepted_first_time(topic: Topic) -> None:
    fake = FakeBackend([claims_json(claim())])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(ARTICLE)
    assert len(fake.calls) == 1 and len(outcome.claims) == 1 and not outcome.salvaged


def test_whole_hallucinated_number_is_reasked_then_rejected(topic: Topic) -> None:
    bad = claims_json(claim(), claim(value=3500, quote="2,700 wounded in Kursk"))
    fake = FakeBackend([bad, bad])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(ARTICLE)
    assert len(fake.calls) == 2
    reask = str(fake.calls[1]["messages"])
    assert "3,500 not written" in reask
    validated = ground(outcome.salvaged, ARTICLE, topic.mentions_topic, PROV, lambda s: s)
    status = {v.claim.value: v.status for v in validated}
    assert status == {300: ClaimStatus.verified, 3500: ClaimStatus.rejected}


def test_whole_reask_fixes_a_paraphrased_quote(topic: Topic) -> None:
    paraphrased = claim(metric="wounded", value=2700, quote="NIS: 2,700 soldiers were hurt")
    fixed = claim(
        metric="wounded",
        value=2700,
        qualifier="exact",
        quote="killed and 2,700 wounded in Kursk since October 2024",
    )
    fake = FakeBackend([claims_json(paraphrased), claims_json(fixed)])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(ARTICLE)
    assert "not in the article" in str(fake.calls[1]["messages"])
    validated = ground(outcome.claims, ARTICLE, topic.mentions_topic, PROV, lambda s: s)
    assert [v.status for v in validated] == [ClaimStatus.verified]
    span = validated[0].span
    assert span is not None and ARTICLE[span.start : span.end] == fixed["quote"]


def test_whole_keeps_good_claims_when_the_reask_drops_them(topic: Topic) -> None:
    # Small models often answer a re-ask with an empty list; the first answer's grounded claim
    # stays, and its hallucinated one is neither a fact nor re-stored.
    first = claims_json(claim(), claim(value=3500, quote="2,700 wounded in Kursk"))
    fake = FakeBackend([first, claims_json()])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(ARTICLE)
    assert len(fake.calls) == 2 and not outcome.salvaged and not outcome.errors
    validated = ground(outcome.claims, ARTICLE, topic.mentions_topic, PROV, lambda s: s)
    assert [(v.claim.value, v.status) for v in validated] == [(300, ClaimStatus.verified)]


def test_whole_replayed_from_the_cache_gives_the_same_claims(topic: Topic, db: Database) -> None:
    first = claims_json(claim(), claim(value=3500, quote="2,700 wounded in Kursk"))
    fake = FakeBackend([first, claims_json()])
    backend = CachedBackend(fake, CallLog(db))
    live = WholeStrategy(backend, topic, check=claim_checker(topic)).extract(ARTICLE)
    replay = WholeStrategy(backend, topic, check=claim_checker(topic)).extract(ARTICLE)
    assert len(fake.calls) == 2 and replay.n_cached == 1
    assert [e.claim for e in replay.claims] == [e.claim for e in live.claims]
    assert [e.claim.value for e in replay.claims] == [300]


def test_whole_salvage_skips_items_that_are_not_claims(topic: Topic) -> None:
    broken = claims_json(claim(value=3500, quote="2,700 wounded"), {"metric": "killed"})
    fake = FakeBackend([broken, broken])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(ARTICLE)
    assert [e.claim.value for e in outcome.salvaged] == [3500] and not outcome.claims


def test_whole_asks_for_the_quote_first_and_every_field() -> None:
    schema = ClaimList.model_json_schema()["$defs"]["DraftClaim"]
    assert next(iter(schema["properties"])) == "quote"
    assert set(schema["required"]) == set(schema["properties"]) >= {"source", "qualifier"}


def test_whole_off_topic_story_is_never_a_fact(topic: Topic) -> None:
    off = claim(metric="missing", value=2, quote="A two-person crew is missing after a jet crashed")
    fake = FakeBackend([claims_json(off), claims_json(off)])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(ARTICLE)
    validated = ground(outcome.salvaged, ARTICLE, topic.mentions_topic, PROV, lambda s: s)
    assert [v.status for v in validated] == [ClaimStatus.rejected]
    assert any("on_topic" in r for r in validated[0].reasons)


def test_repeated_mentions_merge_into_one_claim_with_all_spans(topic: Topic) -> None:
    text = (
        "Seoul said 300 North Korean troops were killed.\n"
        "Ukraine: 300 North Korean troops were killed."
    )
    twice = [
        claim(
            quote="Seoul said 300 North Korean troops were killed.",
            qualifier="exact",
            source="Seoul",
        ),
        claim(quote="300 North Korean troops were killed.", qualifier="exact", source="Seoul"),
    ]
    fake = FakeBackend([claims_json(*twice)])
    outcome = WholeStrategy(fake, topic, check=claim_checker(topic)).extract(text)
    validated = ground(outcome.claims, text, topic.mentions_topic, PROV, lambda s: s)
    assert len(validated) == 1 and len(validated[0].spans) == 2


def test_an_uncredited_repeat_joins_the_credited_figure_but_two_sources_stay_two(
    topic: Topic,
) -> None:
    text = (
        "Strike kills 300 North Korean troops in Kursk\n"
        "Seoul said 300 North Korean troops were killed in Kursk.\n"
        "Kyiv said 300 North Korean troops were killed in Kursk, too."
    )
    fake = FakeBackend(label_all({"300": "killed"}))
    outcome = AnchoredStrategy(fake, topic).extract(text)
    assert [e.claim.source for e in outcome.claims] == [None, "Seoul", "Kyiv"]
    validated = ground(outcome.claims, text, topic.mentions_topic, PROV, lambda s: s)
    assert [(v.claim.source, len(v.spans)) for v in validated] == [("Seoul", 2), ("Kyiv", 1)]


def test_long_articles_are_chunked_with_overlap() -> None:
    paragraphs = [f"Paragraph {i} " + "word " * 60 for i in range(10)]
    parts = chunks("\n".join(paragraphs), max_chars=1000)
    assert len(parts) > 1
    for a, b in itertools.pairwise(parts):
        assert a.splitlines()[-1] == b.splitlines()[0]
    assert all(p in "\n".join(parts) for p in paragraphs)


def test_label_metrics_are_the_claim_metrics_plus_none() -> None:
    from schemas.claims import Metric

    names = [m.value for m in Metric if m.value != "other"]
    assert [m.value for m in LabelMetric] == [*names, "other", "none"]


def test_every_shipped_topic_is_one_file_with_its_own_vocabulary_and_aliases() -> None:
    from pipeline.topic import load_topic

    for name in ("ukraine_dprk", "disaster", "protests"):
        topic = load_topic(name)
        assert topic.sources_file is None and topic.aliases() is not None
        assert topic.label_metrics[-2:] == ("other", "none")
        assert set(topic.metric_cues) <= set(topic.label_metrics)


def test_filter_mode_offers_the_sentences_cues_when_the_clause_has_none(topic: Topic) -> None:
    text = (
        "The death toll among Russian conscripts from Sunday's strike on the Kursk barracks "
        "has climbed to 212, Kyiv said."
    )
    fake = FakeBackend(label_all({"212": "killed"}))
    outcome = AnchoredStrategy(fake, topic, cue_mode="filter").extract(text)
    schema = fake.calls[0]["response_format"]["schema"]
    assert schema["$defs"]["Labels"]["properties"]["1"]["enum"] == ["killed", "other", "none"]
    assert [(c.claim.metric.value, c.claim.value) for c in outcome.claims] == [("killed", 212)]


def test_cue_verbs_match_their_other_forms(topic: Topic) -> None:
    cues = MetricCues.from_config({"killed": ["killed"], "displaced": ["evacuated"]})
    for text, metric in [
        ("Quake kills 86", LabelMetric.killed),
        ("the killing of 40", LabelMetric.killed),
        ("crews evacuating 2,000 residents", LabelMetric.displaced),
        ("the city evacuates 500", LabelMetric.displaced),
    ]:
        assert [m for _, m in cues.found(text)] == [metric]
    assert cues.found("a skilled crew") == []


@pytest.mark.parametrize("topic_name", ["ukraine_dprk", "disaster", "protests"])
@pytest.mark.parametrize("cue_mode", ["filter", "sentence", "hint"])
def test_few_shot_examples_render_as_live_requests_do(
    topic_name: str, cue_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As langextract's validate_prompt_alignment: an example must show the model exactly what a
    # live request for its passage would, and answer only what that request's grammar allows.
    from pipeline.prompts import load_prompt
    from pipeline.topic import load_topic

    topic = load_topic(topic_name)
    raw = [e for e in load_prompt("anchored_label").examples if e.passage is not None]
    assert raw, "the anchored prompt's examples are passages with labels"
    fake = FakeBackend(label_all({}))
    strategy = AnchoredStrategy(fake, topic, cue_mode=cue_mode)
    # The examples are generic news; every topic's live requests must read them the same way.
    monkeypatch.setattr(Article, "topical_reason", lambda self, offset, on_topic: "example")
    for example, rendered in zip(raw, strategy.examples, strict=True):
        assert example.passage is not None
        answer = json.loads(rendered.assistant)["labels"]
        assert list(answer.values()) == list(example.labels)  # no label fell back to other
        fake.calls.clear()
        strategy.extract(example.passage)
        assert fake.calls[0]["messages"][-1]["content"] == rendered.user
        schema = fake.calls[0]["response_format"]["schema"]
        allowed = schema["$defs"]["Labels"]["properties"]
        assert all(label in allowed[k]["enum"] for k, label in answer.items())


def test_a_numbers_options_stop_at_its_clause_and_keep_the_verb_before_it(topic: Topic) -> None:
    cues = MetricCues.from_config(topic.metric_cues, topic.noun_metrics)
    # "injuring" belongs to the next clause, "killing" governs the number.
    assert (
        allowed_metrics(cues, " people, injuring another ", "quake struck, killing more than ")[0]
        is LabelMetric.killed
    )
    # In "killed 300 and wounded 2,700", "wounded" starts a verb phrase of its own, the next
    # number's; "300 were killed and wounded" is one verb group of 300.
    assert allowed_metrics(cues, " and wounded ", "Kyiv said Russia killed ")[:2] == [
        LabelMetric.killed,
        LabelMetric.other,
    ]
    assert (
        allowed_metrics(cues, " people and wounded ", "shelling killed ")[0] is LabelMetric.killed
    )
    assert LabelMetric.killed_or_wounded in allowed_metrics(
        cues, " were killed and wounded.", "Officials said "
    )


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("Kyiv said all three countries back Russia and he met Kim three times.", []),
        ("Kyiv said the two nations deepened ties as 12,000 troops were sent.", ["12,000"]),
        # A cue keeps a small number: "the two soldiers captured" may be a claim.
        ("Kyiv said the two soldiers were captured in Kursk.", ["two"]),
        ("Of the 6,000 sent to Kursk, about 900 were killed.", ["6,000", "900"]),
        # A population and ages count nothing the topic asks for.
        ("Kharkiv, a city of about 1.3 million people, was hit again by Russia.", []),
        # the soldier is counted ("one North Korean soldier"); his age is not
        ("Kyiv said one North Korean soldier gave his age as 21.", ["one"]),
        ("Kyiv said the youngest of the freed men was 19 and 40 were wounded.", ["40"]),
    ],
)
def test_numbers_with_one_reading_are_not_sent(topic: Topic, text: str, asked: list[str]) -> None:
    fake = FakeBackend(label_all({}))
    AnchoredStrategy(fake, topic).extract(text)
    sent = [
        line.split("]", 1)[1].split(":")[0].strip()
        for call in fake.calls
        for line in call["messages"][-1]["content"].splitlines()
        if line.startswith("[")
    ]
    assert sent == asked


def test_a_number_without_its_noun_takes_the_previous_numbers_subject(topic: Topic) -> None:
    text = "Seoul said 300 North Korean troops were killed and another 2,700 wounded in Kursk."
    fake = FakeBackend(label_all({"300": "killed", "2,700": "wounded"}))
    outcome = AnchoredStrategy(fake, topic).extract(text)
    assert [(c.claim.value, c.claim.subject) for c in outcome.claims] == [
        (300, "North Korean troops"),
        (2700, "North Korean troops"),
    ]


def test_a_count_of_places_is_never_a_claim_whatever_the_model_says(topic: Topic) -> None:
    text = (
        "Kyiv said Russian strikes hit six Ukrainian oblasts overnight and 12 people were killed."
    )
    fake = FakeBackend(label_all({"six": "other", "12": "killed"}))
    outcome = AnchoredStrategy(fake, topic).extract(text)
    assert [(c.claim.metric.value, c.claim.value) for c in outcome.claims] == [("killed", 12)]


def _items(topic: Topic, text: str) -> list[str]:
    fake = FakeBackend(label_all({}))
    AnchoredStrategy(fake, topic).extract(text)
    return [
        line
        for call in fake.calls
        for line in call["messages"][-1]["content"].splitlines()
        if line.startswith("[")
    ]


@pytest.mark.parametrize(
    ("text", "items"),
    [
        # A part of a whole the sentence opened with.
        (
            "Of the dead, 61 were in Kursk and 25 in Belgorod, Kyiv said.",
            ["[1] 61: killed/other", "[2] 25: killed/other"],
        ),
        # A number whose words are left out takes those of the number before it.
        (
            "Kyiv said 300 Russian troops were killed in Kursk and 120 in Donetsk.",
            ["[1] 300: killed/other", "[2] 120: killed/other"],
        ),
        # A part of the number before it.
        (
            "Kyiv said 62 North Korean soldiers were captured, 17 of them officers.",
            ["[1] 62: captured/other", "[2] 17: captured/other"],
        ),
        (
            "Kyiv said 4,000 Russian troops were wounded, of whom some 1,100 are in Kursk.",
            ["[1] 4,000: wounded/other", "[2] 1,100: wounded/other"],
        ),
        # A number with its own noun is not elided.
        (
            "Kyiv said 300 Russian troops were killed in Kursk and 12 tanks near Kharkiv.",
            ["[1] 300: killed/other", "[2] 12: other"],
        ),
    ],
)
def test_a_part_or_an_elided_number_is_offered_the_metric_it_shares(
    topic: Topic, text: str, items: list[str]
) -> None:
    assert _items(topic, text) == items


def _options_asked(topic_name: str, text: str, labels: dict[str, str] | None = None) -> Any:
    from pipeline.topic import load_topic

    fake = FakeBackend(label_all(labels or {}))
    outcome = AnchoredStrategy(fake, load_topic(topic_name)).extract(text)
    items = [
        line
        for call in fake.calls
        for line in call["messages"][-1]["content"].split("Items:", 1)[1].splitlines()
        if line.startswith("[")
    ]
    return {line.split("] ", 1)[1].split(":")[0]: line.split(": ", 1)[1] for line in items}, outcome


def test_a_headline_verb_before_its_number_names_the_metric() -> None:
    asked, _ = _options_asked("disaster", "Floods in the delta kill 26, force 9,000 from homes")
    assert asked["26"].startswith("killed") and asked["9,000"].startswith("displaced")


def test_cues_are_whole_words() -> None:
    cues = MetricCues.from_config({"deployed": ["sent"], "killed": ["dead"]})
    assert cues.found("three men were sentenced; a deadline passed") == []
    assert [m for _, m in cues.found("dead and sent")] == [LabelMetric.killed, LabelMetric.deployed]


def test_a_subordinate_clause_after_a_number_is_not_its_clause() -> None:
    # "as rescue workers ..." does not say what 2,900 counts; "has risen to" ties it to the toll.
    asked, _ = _options_asked(
        "disaster", "The death toll from the quake has risen to 2,900 as rescue workers dug on."
    )
    assert asked["2,900"] == "killed/other"


def test_the_numbers_of_one_list_share_its_verb() -> None:
    asked, _ = _options_asked(
        "disaster",
        "The army deployed 1,800 soldiers and 120 boats to the flooded districts. "
        "Officials said 520 firefighters, 140 fire engines and 11 aircraft were sent.",
    )
    assert asked["120"] == "deployed/other" and asked["140"] == "deployed/other"
    # A verb of its own breaks the list: the homes are not offered the toll.
    asked, _ = _options_asked("disaster", "The flood killed 26 people and destroyed 300 homes.")
    assert "killed" not in asked["300"]


def test_a_number_its_words_count_for_the_topic_is_never_none() -> None:
    # The topic's own words for `other` ("launched") overrule a small model's `none`.
    text = "Russia launched 187 attack drones at Kyiv overnight, the air force said."
    _, outcome = _options_asked("ukraine_dprk", text)
    assert [(c.claim.metric.value, c.claim.value) for c in outcome.claims] == [("other", 187)]
    # Without such words `none` stands.
    asked, outcome = _options_asked(
        "ukraine_dprk", "Russia had 187 ideas about the drones over Kyiv, the air force said."
    )
    assert "187" in asked and outcome.claims == []


def test_a_paragraph_inside_the_story_is_read_though_it_names_no_topic_word() -> None:
    text = (
        "Protesters clashed with police in the capital on Friday.\n"
        "Hospital staff said at least three people were killed and 80 injured.\n"
        '"Of the 80 injured, 45 were hit by gunfire," a doctor said.\n'
        "Police said the protest would not be tolerated.\n"
        "In other news, 12 people were injured when a bus overturned in the hills."
    )
    asked, _ = _options_asked("protests", text)
    # The quote follows up the story; the last paragraph is another story with nothing after.
    assert asked["45"] == "wounded/other" and "12" not in asked


def test_designations_rates_scores_and_ages_are_not_sent() -> None:
    asked, _ = _options_asked(
        "protests",
        "Protesters said the arrests violate Article 49 of the constitution, and 12 people were "
        "arrested. Police fired 10,000 rounds a day at protesters, and 3,000 police were "
        "deployed. Protesters beat the police 2-1 at football, and 7 were hurt. The youngest "
        "protester was 19 and the oldest 61, with others as young as 14.",
    )
    assert set(asked) == {"12", "3,000", "7"}


def test_a_lists_verb_governs_its_later_numbers_and_the_noun_comes_first() -> None:
    asked, outcome = _options_asked(
        "ukraine_dprk",
        "Russia launched 146 drones and four ballistic missiles at Ukraine overnight. "
        "North Korea sent some 40 howitzers to Russia.",
        {"40": "munitions_supplied"},
    )
    # "launched" names `other` for both numbers: the missiles are fired, not supplied.
    assert asked["146"] == "other" and asked["four"] == "other"
    assert [(c.claim.metric.value, c.claim.value) for c in outcome.claims] == [
        ("other", 146),
        ("other", 4),
        ("munitions_supplied", 40),
    ]
    # The noun says what was sent; "sent" also names deployments, but not of howitzers.
    assert asked["40"] == "munitions_supplied/other"


def test_an_other_reading_of_a_figure_the_document_names_elsewhere_is_dropped() -> None:
    from pipeline.extract.anchored import drop_shadowed_other
    from pipeline.extract.base import Extracted
    from schemas.claims import Claim, Metric

    def claim(metric: str, value: int) -> Extracted:
        quote = f"{value} of them"
        return Extracted(
            Claim(metric=Metric(metric), value=value, subject="people", source=None, quote=quote),
            None,
        )

    claims = [claim("killed", 3100), claim("other", 3100), claim("other", 300)]
    kept = [(c.claim.metric.value, c.claim.value) for c in drop_shadowed_other(claims)]
    # The second reading of 3,100 goes; an `other` figure no metric names stays.
    assert kept == [("killed", 3100), ("other", 300)]


def test_an_event_named_in_a_numbers_clause_overrules_none() -> None:
    # "shot down" is two words; "hurt" names wounded: the model's `none` gives way to both.
    _, outcome = _options_asked(
        "ukraine_dprk",
        "Air defence units shot down 142 of the drones over Kyiv. "
        "In Kyiv, 11 officers had been hurt, and 1,500 more troops were on the streets.",
    )
    got = [(c.claim.metric.value, c.claim.value) for c in outcome.claims]
    # A metric named only by a noun ("troops") is no proof: that `none` stands.
    assert got == [("other", 142), ("wounded", 11)]


def test_the_word_before_a_governing_verb_is_no_cue_of_its_own() -> None:
    cues = MetricCues.from_config({"killed": ["dead"], "wounded": ["injured"]})
    # "five dead and 300 injured": 300 is not offered "dead".
    assert allowed_metrics(cues, " injured", " dead and ")[0] is LabelMetric.wounded
    assert LabelMetric.killed not in allowed_metrics(cues, " injured", " dead and ")


def test_ages_listed_after_aged_are_not_sent() -> None:
    asked, _ = _options_asked("protests", "Police said two children aged six and 11 were hurt.")
    assert set(asked) == {"two"}


def test_what_a_number_counts_is_read_past_an_including_parenthesis() -> None:
    asked, _ = _options_asked(
        "protests",
        "Police said at least 14 people, including three students and a shopkeeper, were killed "
        "in the clashes. The count reached 7,412, including arrests in the north, after the "
        "marches.",
    )
    # The parenthesis is the number's part; its verb comes after it.
    assert asked["14"].startswith("killed") and asked["three"].startswith("killed")
    # A number with no noun before ", including" has no verb after it.
    assert "killed" not in asked["7,412"]


def test_a_list_member_with_a_noun_of_its_own_shares_only_the_lists_verbs() -> None:
    asked, _ = _options_asked(
        "protests",
        "Protesters marched again on Friday. There were 58 arrests, 12 raids and ten "
        "complaints, police said.",
    )
    # "arrests" names only 73: the raids are no arrests.
    assert asked["58"].startswith("arrested") and asked["12"] == "other"
    asked, _ = _options_asked(
        "disaster",
        "Officials said 520 firefighters, 140 fire engines and 11 aircraft were sent after the "
        "flood.",
    )
    assert asked["140"] == "deployed/other"


def test_lives_loss_of_life_and_a_phrase_of_verbs_name_their_metrics() -> None:
    asked, _ = _options_asked(
        "disaster",
        "The floods have claimed at least 184 lives. The quake kills and injures more than "
        "1,150 people. The loss of life was 10,455 after the quake. The death toll nears "
        "8,000 after the quake. The confirmed victims are 131 after the storm.",
    )
    assert asked["184"].startswith("killed")
    assert asked["1,150"].startswith("killed_or_wounded")
    assert asked["10,455"].startswith("killed") and asked["8,000"].startswith("killed")
    assert asked["131"].startswith("killed")


def test_a_phrase_cue_takes_every_form_of_its_verbs() -> None:
    forms = inflections("killed and injured")
    assert "kills and injures" in forms and "killing and injuring" in forms
    assert inflections("lost their lives") == ["lost their lives"]


def test_inhabitants_and_an_age_range_are_not_sent() -> None:
    asked, _ = _options_asked(
        "protests",
        "Protesters opposed raising the retirement age from 60 to 63, and 40 were arrested in "
        "the town, with just over 250 inhabitants.",
    )
    assert set(asked) == {"40"}


def test_a_topic_verb_for_other_outranks_the_noun_after_it() -> None:
    # The topic file lists "released" as `other`: a swap is no capture.
    asked, _ = _options_asked(
        "ukraine_dprk", "Russia and Ukraine each released 246 prisoners of war on Sunday."
    )
    assert asked["246"] == "other"


def test_only_the_first_verb_after_a_number_says_what_it_counts() -> None:
    asked, _ = _options_asked(
        "ukraine_dprk",
        "Kyiv said about 3,000 fresh troops arrived in the spring to replace units that had "
        "suffered heavy losses. Kyiv said five soldiers were captured and wounded there.",
    )
    # "losses" belongs to the units; "arrived" to the troops.
    assert asked["3,000"] == "deployed/other"
    # Events joined by "and" are one group.
    assert asked["five"] == "captured/wounded/other"


def test_a_list_member_with_its_own_noun_shares_who_the_list_counts() -> None:
    asked, _ = _options_asked(
        "disaster",
        "Officials said 520 firefighters, 140 fire engines and 11 aircraft were battling the "
        "blaze.",
    )
    assert asked["140"] == "deployed/other"


def test_a_verb_or_a_link_to_an_event_overrules_none() -> None:
    # The fake model answers `none` for every number.
    _, outcome = _options_asked(
        "disaster",
        "The government has mobilised more than 1,050 personnel after the floods. "
        "In the valley, the death toll from the floods has risen to four, with damage reported. "
        "Turkey now has some 45,000 aid personnel in the quake zone.",
    )
    got = [(c.claim.metric.value, c.claim.value) for c in outcome.claims]
    # "45,000 aid personnel" is named by its noun alone: the `none` stands.
    assert got == [("deployed", 1050), ("killed", 4)]


def test_a_part_named_by_its_own_noun_shares_what_befell_the_whole() -> None:
    asked, _ = _options_asked(
        "protests",
        "Doctors hospitalised 31 people after the protest, including 24 protesters and 5 "
        "police representatives. Police arrested 41 people at the protest, of whom 29 have "
        "since been released.",
    )
    # "protesters" names who; "hospitalised" names what befell them.
    assert asked["24"].startswith("wounded") and asked["5"].startswith("wounded")
    # A part with a verb of its own keeps it.
    assert asked["29"] == "other"


def test_breakdowns_appositions_and_far_elisions_share_their_whole() -> None:
    asked, _ = _options_asked(
        "protests",
        "Police said 52 officers were injured in the protest - 41 gendarmes and three others.",
    )
    # After the dash comes a breakdown of the 52.
    assert asked["41"].startswith("wounded")
    asked, _ = _options_asked(
        "disaster",
        "Two people, a man in his 80s and a woman in the port, were in serious condition after "
        "the quake. Six of the victims died in the north, including a couple whose car was "
        "swept off a bridge near the river, and three in the south.",
    )
    # What the two counts is said after the apposition.
    assert asked["Two"].startswith("wounded")
    # "and three in the south" leaves out "of the victims died".
    assert asked["three"].startswith("killed")


def test_a_short_aside_after_a_number_is_part_of_its_noun() -> None:
    asked, _ = _options_asked(
        "ukraine_dprk", "Seoul said that is more than 250,000 (artillery) rounds for Russia."
    )
    assert asked["250,000"].startswith("munitions_supplied")


def test_a_noun_before_a_number_is_no_verb_that_makes_it_a_claim() -> None:
    # "brigades of 4,500 troops" names who; nothing says they were sent, so `none` stands.
    _, outcome = _options_asked(
        "ukraine_dprk", "North Korea has brigades of 4,500 troops in Russia, Kyiv said."
    )
    assert outcome.claims == []
    _, outcome = _options_asked("ukraine_dprk", "North Korea sent 3,000 troops to Russia.")
    assert [(c.claim.metric.value, c.claim.value) for c in outcome.claims] == [("deployed", 3000)]


def test_a_count_of_things_is_never_a_count_of_people() -> None:
    asked, outcome = _options_asked(
        "ukraine_dprk",
        "Kyiv said the losses include 8,412 tanks and 16,730 armoured fighting vehicles. "
        "Kyiv said Russia lost 37 pieces of equipment and 1,210 soldiers.",
    )
    # "losses" names casualties only for people; lost equipment is another count of the war.
    assert asked["8,412"] == "other" and asked["16,730"] == "other"
    got = {c.claim.value: c.claim.metric.value for c in outcome.claims}
    assert got[37] == "other" and got[1210] == "killed_or_wounded"


def test_more_links_parts_and_cues_of_everyday_news() -> None:
    asked, _ = _options_asked(
        "disaster",
        "The toll of the quake stood at 270 dead and the injured count had climbed to "
        "more than 900 after the quake. Authorities reported 19 deaths from the storm, with "
        "six each in the north and the south. Officials said 1,250 people had been brought to "
        "safety from the flood.",
    )
    # The measure nearest the link names the number.
    assert asked["900"].startswith("wounded")
    assert asked["six"].startswith("killed") and asked["1,250"].startswith("displaced")
    asked, _ = _options_asked(
        "protests",
        "Nearly 40 people including police and reporters were hospitalized after the "
        "protest. Police held 612 detainees, of which 58 are teenagers, after the protest.",
    )
    assert asked["40"].startswith("wounded") and asked["58"].startswith("arrested")

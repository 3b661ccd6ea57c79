"""The rules of anchored v14 (first part), on invented sentences: ages after a name from 1,
dates in brackets after a weekday and the second day of a span, word prefixes, a bare "one"
before a thing, sentences inside quotations, appositive names of sources, ground taken, unit
conversions in brackets, "-strong" groups, purpose clauses, rises that link a toll, "a total
of", "along with" in a tally, phone lines, cities and thresholds."""

from __future__ import annotations

from functools import cache

import pytest

from pipeline.backends.fake import FakeBackend
from pipeline.extract.anchored import AnchoredStrategy, event_named
from pipeline.extract.attribution import attribute, plausible_speaker
from pipeline.text.article import read_article
from pipeline.text.numbers import MentionKind, find_mentions
from pipeline.topic import load_topic
from schemas.claims import Claim, Metric
from schemas.records import ClaimStatus, Provenance, Span, ValidatedClaim

K = MentionKind


def kinds(text: str) -> dict[str, str]:
    """Each mention's text and its kind."""
    return {m.text: m.kind.value for m in find_mentions(text)}


def sentences(text: str) -> list[str]:
    article = read_article(text)
    return [s.text for p in article.paragraphs for s in article.paragraph_sentences(p.index)]


@cache
def _strategy(topic: str) -> AnchoredStrategy:
    # Only the filter-mode helpers are used: the backend is never called.
    return AnchoredStrategy(FakeBackend([]), load_topic(topic))


def offered(topic: str, text: str) -> dict[str, tuple[tuple[str, ...], str | None]]:
    """For each mention kept for labelling: the options offered and the event its clause
    names, as in filter mode."""
    strategy = _strategy(topic)
    article = read_article(text)
    found: dict[str, tuple[tuple[str, ...], str | None]] = {}
    for p in article.paragraphs:
        for s in article.paragraph_sentences(p.index):
            mentions = [m for m in article.mentions_in(s.start, s.end) if m.is_candidate]
            kept = strategy._needing_a_label(s, mentions)
            if not kept:
                continue
            options = strategy._options(s, kept)
            events = event_named(strategy.cues, s, kept)
            for m, o, e in zip(kept, options, events, strict=True):
                found[m.text] = (o, e.value if e is not None else None)
    return found


def options(topic: str, text: str) -> dict[str, tuple[str, ...]]:
    return {k: v[0] for k, v in offered(topic, text).items()}


def events(topic: str, text: str) -> dict[str, str | None]:
    return {k: v[1] for k, v in offered(topic, text).items()}


# --- 1. Ages after a name ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Lena Ortiz, 6, was found alive on Tuesday.", "6"),
        ("Police named the boy as Arvid Kessler, 9, of Dunmore.", "9"),
        ("Mia Soto, 1, was carried out of the rubble.", "1"),
        ("Rescuers said Ortiz, 6, survived the night.", "6"),
    ],
)
def test_a_childs_age_between_commas_after_a_name_is_an_age(text: str, number: str) -> None:
    assert kinds(text)[number] == K.age.value


def test_an_age_ending_the_sentence_after_a_name_inside_it_is_an_age() -> None:
    assert kinds("The body was identified by resident Omar Haddad, 34.")["34"] == K.age.value
    assert kinds("The last one out was farmer Ilka Brandt, 7.")["7"] == K.age.value


@pytest.mark.parametrize(
    ("text", "number"),
    [
        # A capital that opens the sentence is no name.
        ("Since then, 12, including two children, have died.", "12"),
        ("Overall, 8.", "8"),
        # No name before the number.
        ("Rescuers found the girl, 8.", "8"),
        ("The count in Brava rose to 9.", "9"),
    ],
)
def test_a_count_after_an_opening_capital_or_no_name_stays_a_count(text: str, number: str) -> None:
    assert kinds(text)[number] == K.count.value


# --- 2. Dates in brackets after a weekday, the second day of a span ---------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Police said on Friday (14), that 30 people were held.", "14"),
        ("Flooding began on Sunday (22) in Brava.", "22"),
        ("They waited until Thursday (9) for news.", "9"),
    ],
)
def test_a_day_in_brackets_after_a_weekday_is_a_date(text: str, number: str) -> None:
    assert kinds(text)[number] == K.date.value


def test_both_days_of_a_span_with_one_month_are_dates() -> None:
    found = kinds("The storms struck between May 3 and 9, killing 11.")
    assert found == {"3": K.date.value, "9": K.date.value, "11": K.count.value}
    found = kinds("It happened between June 11 and 17.")
    assert found["11"] == K.date.value and found["17"] == K.date.value


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("on Friday 14 people died in Varnholm.", "14"),
        ("On Friday, 14 were hurt.", "14"),
        ("The patrol (14) returned on Friday.", "14"),  # a bracket, but after no weekday
        ("On Friday (14 people) gathered.", "14"),  # the bracket does not close on the day
        ("The police said 30 people were held.", "30"),
    ],
)
def test_a_number_after_a_weekday_without_a_closed_bracket_stays_a_count(
    text: str, number: str
) -> None:
    assert kinds(text)[number] == K.count.value


# --- 3. Spelled numbers glued to a word's prefix ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Frost brought sub-zero nights to Kellin.",
        "Temperatures in Kellin stayed sub-zero.",
    ],
)
def test_a_spelled_number_after_a_word_prefix_is_no_mention(text: str) -> None:
    assert find_mentions(text) == []


def test_a_hyphenated_spelled_number_is_still_a_number() -> None:
    found = find_mentions("Crews endured sub-zero temperatures while twenty-one people were hurt.")
    assert [(m.text, m.value, m.kind) for m in found] == [("twenty-one", 21, K.count)]
    assert kinds("twenty-one people were hurt.") == {"twenty-one": K.count.value}


# --- 4. A bare "one" before a thing -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Soldiers destroyed one tank near Orvik.",
        "One missile struck a depot in Telnar.",
        "The flood swept away one bridge at Marrow Ford.",
    ],
)
def test_one_before_a_thing_is_a_count(text: str) -> None:
    [mention] = find_mentions(text)
    assert mention.value == 1 and mention.kind is K.count


@pytest.mark.parametrize(
    "text",
    [
        "The army said one of the tanks was hit.",
        "Witnesses said one of the drones fell near Orvik.",
    ],
)
def test_one_of_the_is_still_no_count(text: str) -> None:
    assert [m for m in find_mentions(text) if m.kind is K.count] == []


# --- 5. Sentences inside a quotation ----------------------------------------------------


def test_a_quotation_of_two_sentences_is_split() -> None:
    assert sentences("“The toll in Harwick is 12. Some 40 homes fell,” the mayor said.") == [
        "“The toll in Harwick is 12.",
        "Some 40 homes fell,” the mayor said.",
    ]
    assert sentences('"The toll is 31. Some 15 barns burned," Ilse Marr said.') == [
        '"The toll is 31.',
        'Some 15 barns burned," Ilse Marr said.',
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Lopez said 12 homes fell in Harwick.",
        "The U.S. embassy said 12 homes fell in Harwick.",
        "“Mr. Lopez saw 12 boats near the U.S. pier,” Dana Ferro said.",
        # No quotation: the sentence is left whole.
        "The toll in Harwick is 12, and some 40 homes fell, the mayor said.",
    ],
)
def test_titles_abbreviations_and_plain_sentences_do_not_split(text: str) -> None:
    assert sentences(text) == [text]


# --- 6. An appositive name after "according to" -----------------------------------------


def _credited(sentence: str, number: str) -> str | None:
    start = sentence.index(number)
    return attribute(sentence, start, start + len(number), plausible_speaker)


@pytest.mark.parametrize(
    "sentence",
    [
        "Some 60 homes were flooded, according to the regional governor, Ana Petrenko.",
        "Some 60 homes were flooded, according to the regional governor, Ana Petrenko; "
        "more rain is due.",
    ],
)
def test_a_name_after_the_role_is_part_of_the_source(sentence: str) -> None:
    source = _credited(sentence, "60")
    assert source is not None and "Ana Petrenko" in source
    assert source.startswith("the regional governor")


@pytest.mark.parametrize(
    "sentence",
    [
        "Since May, according to the ministry, Russia has lost 80 tanks near Velmar.",
        "Since May, according to the ministry, Velmar Port has 80 boats.",
    ],
)
def test_a_name_that_opens_the_next_clause_is_not_the_source(sentence: str) -> None:
    assert _credited(sentence, "80") == "the ministry"


def test_a_role_without_a_name_is_credited_alone() -> None:
    assert _credited("Some 60 homes were flooded, according to the port authority.", "60") == (
        "the port authority"
    )


# --- 7. Ground taken, unit conversions, "-strong" groups --------------------------------

_ONLY_OTHER = ("other", "none")


@pytest.mark.parametrize(
    "text",
    [
        "Kyiv's forces seized 300 square kilometres and 41 settlements in the Dravna region.",
        # "troops" as the subject does not make the places people sent.
        "Russian troops seized 300 square kilometres and 41 settlements near Holmivka.",
    ],
)
def test_area_and_places_seized_are_other(text: str) -> None:
    found = offered("ukraine_dprk", text)
    assert found["300"] == (_ONLY_OTHER, "other")
    assert found["41"] == (_ONLY_OTHER, "other")


def test_places_in_control_of_are_other_even_with_troops_as_subject() -> None:
    found = offered("ukraine_dprk", "Russian troops are now in control of 17 villages in the east.")
    assert found["17"] == (_ONLY_OTHER, "other")


def test_people_taken_are_not_ground_taken() -> None:
    found = offered("ukraine_dprk", "Russian troops captured 250 Ukrainian soldiers near Holmivka.")
    assert "captured" in found["250"][0] and found["250"][1] == "captured"


def test_a_unit_conversion_in_brackets_is_not_kept() -> None:
    found = offered(
        "ukraine_dprk",
        "The army retook 400 square kilometres (about 150 square miles) near Velyka Brava.",
    )
    assert "150" not in found
    assert found["400"][0] == _ONLY_OTHER


def test_a_bracket_after_no_unit_is_kept() -> None:
    found = options("disaster", "The quake killed 80 people (and injured 150) in Kesh.")
    assert "150" in found and "wounded" in found["150"]


@pytest.mark.parametrize(
    ("topic", "text"),
    [
        ("disaster", "The navy flew a 350-strong battalion to the flooded coast of Merrow."),
        ("ukraine_dprk", "Pyongyang sent a 350-strong battalion to the Kursk front."),
        ("ukraine_dprk", "Pyongyang flew a 350-strong contingent to Kursk."),
    ],
)
def test_a_strong_group_is_deployed(topic: str, text: str) -> None:
    found = offered(topic, text)
    assert found["350"] == (("deployed", *_ONLY_OTHER), "deployed")


def test_a_strong_crowd_is_not_deployed() -> None:
    found = offered("protests", "A 3,000-strong crowd marched through Alvera.")
    assert "deployed" not in found["3,000"][0]
    assert found["3,000"][1] != "deployed"


# --- 8. "a total of", "along with", rises, purpose clauses, things downed ---------------


def test_a_total_of_is_skipped_before_the_loss() -> None:
    found = offered(
        "ukraine_dprk", "Moscow lost a total of 9,000 soldiers near Holmivka last month."
    )
    assert "killed_or_wounded" in found["9,000"][0]
    assert "deployed" not in found["9,000"][0]
    assert found["9,000"][1] == "killed_or_wounded"


@pytest.mark.parametrize(
    "text",
    [
        "Moscow lost 700 soldiers, along with 21 tanks and 14 drones, on Sunday.",
        "Moscow lost 700 soldiers, along with 21 howitzers and 14 missile launchers, on Sunday.",
    ],
)
def test_things_along_with_a_loss_are_other(text: str) -> None:
    found = offered("ukraine_dprk", text)
    assert "killed_or_wounded" in found["700"][0]
    assert found["21"] == (_ONLY_OTHER, "other")
    assert found["14"] == (_ONLY_OTHER, "other")


def test_a_toll_that_has_risen_over_a_figure_is_killed() -> None:
    found = offered("disaster", "The toll in Tavel province has now risen over 3,100.")
    assert found["3,100"] == (("killed", *_ONLY_OTHER), "killed")


def test_a_purpose_clause_ends_the_numbers_clause() -> None:
    found = offered("disaster", "Another 900 soldiers arrived to help recover bodies in Tavel.")
    assert "deployed" in found["900"][0]
    assert "killed" not in found["900"][0] and found["900"][1] != "killed"


def test_a_death_in_its_own_clause_is_still_killed() -> None:
    found = offered("disaster", "Another 900 people died in Tavel.")
    assert found["900"] == (("killed", *_ONLY_OTHER), "killed")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Air defences downed 31 drones over Lyviv overnight.", "31"),
        ("Air defences downed 31 missiles over Lyviv overnight.", "31"),
        ("Air defences down 6 missiles", "6"),
    ],
)
def test_things_downed_are_other_not_supplied(text: str, number: str) -> None:
    assert offered("ukraine_dprk", text)[number] == (_ONLY_OTHER, "other")


def test_missiles_supplied_are_still_supplied() -> None:
    found = offered("ukraine_dprk", "North Korea supplied 6 missiles to Moscow.")
    assert found["6"] == (("munitions_supplied", *_ONLY_OTHER), "munitions_supplied")


# --- 9. Not counts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Residents should call the hotline: 911 or 112.",
        "The flood hit Porvane, a megacity of 9 million people.",
        "The river rose above the warning level of 310 in Kesh.",
    ],
)
def test_phone_lines_cities_and_thresholds_are_not_kept(text: str) -> None:
    assert offered("disaster", text) == {}


def test_a_count_of_people_next_to_them_is_kept() -> None:
    assert options("disaster", "The quake killed 310 people in Kesh.") == {
        "310": ("killed", *_ONLY_OTHER)
    }


def _places(text: str) -> list[bool]:
    from pipeline.extract.not_counts import counts_places
    from pipeline.text.article import read_article

    article = read_article(text)
    sentence = article.sentences[0]
    return [counts_places(sentence, m) for m in article.mentions_in(sentence.start, sentence.end)]


def test_people_taken_to_hospitals_count_no_hospitals() -> None:
    assert _places("The wounded were treated at four hospitals in Velmar.") == [True]
    assert _places("Protesters' relatives visited six police stations overnight.") == [True]


def test_hospitals_hit_are_a_count_of_the_story() -> None:
    assert _places("The quake damaged 14 hospitals and 30 schools in Orsk.") == [False, False]


def _validated(value: int, source: str | None, start: int) -> ValidatedClaim:

    return ValidatedClaim(
        claim=Claim(metric=Metric.killed, value=value, subject="people", source=source, quote="q"),
        spans=[Span(start=start, end=start + 5, method="anchored")],
        status=ClaimStatus.verified,
        provenance=Provenance(
            model="m", strategy="s", prompt_name="p", prompt_version="1", schema_version="1"
        ),
        source_norm=source,
    )


def test_a_repeat_credited_to_the_same_body_by_its_kind_alone_is_one_claim() -> None:
    from pipeline.grounding import merge_repeats

    merged = merge_repeats([_validated(6, "Norvian police", 0), _validated(6, "The police", 50)])
    assert [(m.source_norm, len(m.spans)) for m in merged] == [("Norvian police", 2)]


def test_two_named_bodies_one_naming_the_other_stay_two() -> None:
    from pipeline.grounding import merge_repeats

    claims = [_validated(9, "South Korea", 0), _validated(9, "South Korea NIS", 50)]
    assert len(merge_repeats(claims)) == 2


def test_an_auxiliary_cut_off_by_a_quote_is_no_speaker() -> None:
    from pipeline.extract.attribution import attribute, plausible_speaker

    text = 'The agency "has estimated that 4,000 shells were sent.'
    assert attribute(text, 31, 36, plausible_speaker) is None


def test_a_speaker_after_a_glued_sentence_end_starts_at_the_capital() -> None:
    from pipeline.extract.attribution import attribute, plausible_speaker

    text = "It was named in full.UN envoy Lise Varga said 200 were sent."
    start = text.index("200")
    assert attribute(text, start, start + 3, plausible_speaker) == "UN envoy Lise Varga"

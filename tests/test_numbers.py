"""Unit tests for pipeline.text.numbers: every number form, every kind, every hedge, and offsets."""

from __future__ import annotations

import itertools

import pytest

from pipeline.text.numbers import (
    ABOUT,
    AT_LEAST,
    EXACT,
    MORE_THAN,
    QUALIFIERS,
    UP_TO,
    MentionKind,
    NumberMention,
    find_mentions,
    parse_number,
    values_in,
)

K = MentionKind


def only(text: str) -> NumberMention:
    mentions = find_mentions(text)
    assert len(mentions) == 1, mentions
    return mentions[0]


def summary(text: str) -> list[tuple[str, int, str]]:
    return [(m.text, m.value, m.kind.value) for m in find_mentions(text)]


# --- parse_number ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("3,000", 3000),
        ("3000", 3000),
        ("12,000,000", 12_000_000),
        ("0", 0),
        ("three", 3),
        ("Three", 3),
        ("zero", 0),
        ("nineteen", 19),
        ("twenty-five", 25),
        ("twenty five", 25),
        ("ninety-nine", 99),
        ("three hundred", 300),
        ("one hundred and twenty", 120),
        ("two thousand five hundred", 2500),
        ("two million three hundred thousand", 2_300_000),
        ("nineteen hundred", 1900),
        ("a hundred", 100),
        ("a thousand", 1000),
        ("a hundred thousand", 100_000),
        ("a million", 1_000_000),
        ("a dozen", 12),
        ("two dozen", 24),
        ("half a dozen", 6),
        ("half a million", 500_000),
        ("two and a half million", 2_500_000),
        ("2.7 thousand", 2700),
        ("1.5 million", 1_500_000),
        ("3 hundred thousand", 300_000),
        ("2 dozen", 24),
        ("300k", 300_000),
        ("300K", 300_000),
        ("2.7k", 2700),
        ("2.5bn", 2_500_000_000),
        ("1.5m", 1_500_000),
        ("  42  ", 42),
    ],
)
def test_parse_number_reads_value(s: str, expected: int) -> None:
    assert parse_number(s) == expected


@pytest.mark.parametrize(
    "s",
    [
        "",
        "abc",
        "hundred",
        "thousand",
        # "several dozen marchers": as vague as "dozens"
        "dozen",
        "hundreds",
        "thousands",
        "dozens",
        "tens of thousands",
        "2.5",
        "two and a half",
        "1.2345 thousand",
        "five six",
        "twenty thirty",
        "two hundred three hundred",
        "two thousand million",
        "a",
        "and",
        "3%",
        "$5",
    ],
)
def test_parse_number_rejects_non_numbers(s: str) -> None:
    assert parse_number(s) is None


# --- Counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "value"),
    [
        ("300 killed", "300", 300),
        ("2,700 wounded", "2,700", 2700),
        ("12,000,000 displaced", "12,000,000", 12_000_000),
        ("3000 shells", "3000", 3000),
        ("three soldiers", "three", 3),
        ("Twenty-five soldiers", "Twenty-five", 25),
        ("twenty five soldiers", "twenty five", 25),
        ("Three hundred troops", "Three hundred", 300),
        ("two thousand five hundred troops", "two thousand five hundred", 2500),
        ("one hundred and one dead", "one hundred and one", 101),
        ("a dozen people", "a dozen", 12),
        ("two dozen people", "two dozen", 24),
        ("half a dozen people", "half a dozen", 6),
        ("a hundred people", "a hundred", 100),
        ("a thousand people", "a thousand", 1000),
        ("one million people", "one million", 1_000_000),
        ("half a million refugees", "half a million", 500_000),
        ("two and a half million refugees", "two and a half million", 2_500_000),
        ("2.7 thousand soldiers", "2.7 thousand", 2700),
        ("1.5 million people", "1.5 million", 1_500_000),
        ("3.14159 million people", "3.14159 million", 3_141_590),
        ("2.5bn rounds", "2.5bn", 2_500_000_000),
        ("300k troops", "300k", 300_000),
        ("2.7k troops", "2.7k", 2700),
        ("10m people", "10m", 10_000_000),
        ("2 dozen drones", "2 dozen", 24),
        ("zero casualties", "zero", 0),
        ("a 1,000-strong force", "1,000", 1000),
    ],
)
def test_count_forms(text: str, surface: str, value: int) -> None:
    m = only(text)
    assert (m.text, m.value, m.kind, m.low, m.high) == (surface, value, K.count, None, None)
    assert m.is_candidate
    assert text[m.start : m.end] == surface


@pytest.mark.parametrize(
    "text",
    [
        "hundreds of people",
        "thousands fled",
        "dozens dead",
        "tens of thousands of troops",
        "hundreds of thousands of refugees",
        "millions of dollars",
        "several thousand soldiers",
        "a few hundred fighters",
        "several dozen marchers",
        "a soldier and an officer",
        "one of the soldiers",
        "no one was hurt",
        "two-thirds of the troops",
        "three quarters of the town",
        "2.5 tonnes",
        "two and a half years",
        "0.5 points",
        "version 1.2.3",
    ],
)
def test_vague_or_non_integer_numbers_produce_no_mention(text: str) -> None:
    assert find_mentions(text) == []


def test_non_integer_is_consumed_not_split() -> None:
    # "2.5" must not leave a "2" or "5" behind, while the number after it is still read.
    assert summary("2.5 to 3 percent") == [("3 percent", 3, "percent")]


# --- "one" ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("one of the soldiers", []),
        ("one soldier", [("one", 1, "count")]),
        ("One more victim was found", [("One", 1, "count")]),
        ("no one was hurt", []),
        ("one day the soldiers left", [("one", 1, "duration")]),
        ("at least one person was killed", [("one", 1, "count")]),
        ("one to two brigades", [("one to two", 1, "count")]),
        ("a one-year deal", [("one", 1, "duration")]),
        ("twenty-one soldiers", [("twenty-one", 21, "count")]),
        ("one hundred soldiers", [("one hundred", 100, "count")]),
        # describing words between "one" and the person
        ("one elderly man was hospitalised", [("one", 1, "count")]),
        ("one injured passenger", [("one", 1, "count")]),
        ("one of the victims", []),
        # the last of a list of counts by place
        ("two in Linz and one in Graz", [("two", 2, "count"), ("one", 1, "count")]),
        (
            "Sixty died in the north, 12 in the east and one in the south.",
            [("Sixty", 60, "count"), ("12", 12, "count"), ("one", 1, "count")],
        ),
        ("one in five residents", [("five", 5, "count")]),
        # a word ending like a number ("party", "canteen") starts no list of counts
        ("The party met, and one in Kyiv said so.", []),
    ],
)
def test_bare_one_is_only_reported_when_unambiguous(
    text: str, expected: list[tuple[str, int, str]]
) -> None:
    assert summary(text) == expected


def test_values_in_includes_one_for_the_word_one() -> None:
    assert values_in("one soldier was killed") == {1}
    assert values_in("someone was killed") == set()


# --- Kinds that are not claims --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "value", "kind"),
    [
        # years
        ("in 2024", "2024", 2024, K.year),
        ("in 1950", "1950", 1950, K.year),
        ("the 2024 election", "2024", 2024, K.year),
        ("by 2030", "2030", 2030, K.year),
        ("since October 2024", "2024", 2024, K.year),
        ("mid-2024", "2024", 2024, K.year),
        ("the 1980s", "1980s", 1980, K.year),
        ("the '90s", "'90s", 1990, K.year),
        ("the 90s", "90s", 1990, K.year),
        ("mid-1990s", "1990s", 1990, K.year),
        ("around 2000", "2000", 2000, K.year),
        # dates: the day number
        ("on March 3", "3", 3, K.date),
        ("on 3 March", "3", 3, K.date),
        ("on Nov. 4", "4", 4, K.date),
        ("on Sept. 11", "11", 11, K.date),
        ("on May 3", "3", 3, K.date),
        ("on December 25th", "25th", 25, K.date),
        ("the 3rd of March", "3rd", 3, K.date),
        ("after 9/11", "9/11", 9, K.date),
        ("on 2024-03-05", "2024-03-05", 2024, K.date),
        # ordinals
        ("the third attack", "third", 3, K.ordinal),
        ("the 1st brigade", "1st", 1, K.ordinal),
        ("the 22nd day", "22nd", 22, K.ordinal),
        ("the twenty-first century", "twenty-first", 21, K.ordinal),
        ("the tenth", "tenth", 10, K.ordinal),
        ("the twentieth", "twentieth", 20, K.ordinal),
        ("the hundredth", "hundredth", 100, K.ordinal),
        # ages
        ("a 19-year-old", "19", 19, K.age),
        ("19-year-olds", "19", 19, K.age),
        ("aged 25", "25", 25, K.age),
        ("25 years old", "25", 25, K.age),
        ("at the age of 30", "30", 30, K.age),
        ("a nineteen-year-old", "nineteen", 19, K.age),
        ("a two-month-old baby", "two", 2, K.age),
        ("in their 20s", "20s", 20, K.age),
        # durations
        ("two months", "two", 2, K.duration),
        ("six weeks", "six", 6, K.duration),
        ("a four-year war", "four", 4, K.duration),
        ("3 days", "3", 3, K.duration),
        ("24 hours", "24", 24, K.duration),
        ("three years in prison", "three", 3, K.duration),
        ("a 10-day truce", "10", 10, K.duration),
        ("two decades", "two", 2, K.duration),
        ("three centuries", "three", 3, K.duration),
        # model numbers and other designations
        ("KN-23 missiles", "KN-23", 23, K.model_number),
        ("FA-50 jets", "FA-50", 50, K.model_number),
        ("T-72 tanks", "T-72", 72, K.model_number),
        ("Su-25 jets", "Su-25", 25, K.model_number),
        ("F-16s", "F-16s", 16, K.model_number),
        ("Covid-19", "Covid-19", 19, K.model_number),
        ("covid-19", "covid-19", 19, K.model_number),
        ("the G7", "G7", 7, K.model_number),
        ("MiG-29", "MiG-29", 29, K.model_number),
        ("S-400 systems", "S-400", 400, K.model_number),
        ("F16", "F16", 16, K.model_number),
        ("Shahed-136 drones", "Shahed-136", 136, K.model_number),
        ("155mm shells", "155mm", 155, K.model_number),
        ("a 100m sprint", "100m", 100, K.model_number),
        ("5G networks", "5G", 5, K.model_number),
        ("agent 007", "007", 7, K.model_number),
        # percent
        ("3%", "3%", 3, K.percent),
        ("3 percent", "3 percent", 3, K.percent),
        ("3 per cent", "3 per cent", 3, K.percent),
        ("three percent", "three percent", 3, K.percent),
        ("2 percentage points", "2 percentage points", 2, K.percent),
        # money
        ("$5 billion", "$5 billion", 5_000_000_000, K.money),
        ("£3m", "£3m", 3_000_000, K.money),
        ("5 million dollars", "5 million dollars", 5_000_000, K.money),
        ("€2bn", "€2bn", 2_000_000_000, K.money),
        ("US$300,000", "US$300,000", 300_000, K.money),
        ("USD 5 million", "USD 5 million", 5_000_000, K.money),
        ("7 euros", "7 euros", 7, K.money),
        ("five million dollars", "five million dollars", 5_000_000, K.money),
        ("1 trillion won", "1 trillion won", 10**12, K.money),
        # time
        ("at 10:30", "10:30", 10, K.time),
        ("at 3pm", "3pm", 3, K.time),
        ("at 3 a.m.", "3 a.m.", 3, K.time),
        ("at 10:30 p.m.", "10:30 p.m.", 10, K.time),
        ("at 0900 GMT", "0900 GMT", 9, K.time),
    ],
)
def test_non_claim_kinds(text: str, surface: str, value: int, kind: MentionKind) -> None:
    m = only(text)
    assert (m.text, m.value, m.kind) == (surface, value, kind)
    assert text[m.start : m.end] == surface
    assert m.is_candidate is (kind == K.count)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2000 troops arrived", K.count),
        ("2000 North Korean troops", K.count),
        ("2000 more soldiers", K.count),
        ("some 2000 were killed", K.count),
        ("more than 2000 were killed", K.count),
        ("about 1800 troops", K.count),
        ("in 2024 troops were sent", K.year),
        ("the 2024 election saw troops", K.year),
        ("Resolution 2231", K.count),
        ("2,024 people", K.count),
        ("2024 thousand", K.count),
    ],
)
def test_year_or_count(text: str, kind: MentionKind) -> None:
    assert only(text).kind == kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("In March 30 troops died", K.count),
        ("he may 3 times", K.count),
        ("March 32", K.count),
    ],
)
def test_month_next_to_a_number_is_not_always_a_date(text: str, kind: MentionKind) -> None:
    assert only(text).kind == kind


def test_pounds_of_is_weight_not_money() -> None:
    assert summary("500 pounds of explosives") == [("500", 500, "count")]


def test_hyphenated_words_before_digits_are_not_model_numbers() -> None:
    assert summary("mid-2024 and pre-2022 and Top-10") == [
        ("2024", 2024, "year"),
        ("2022", 2022, "year"),
        ("10", 10, "count"),
    ]


# --- Hedges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "qualifier"),
    [
        ("about", ABOUT),
        ("around", ABOUT),
        ("approximately", ABOUT),
        ("roughly", ABOUT),
        ("some", ABOUT),
        ("nearly", ABOUT),
        ("almost", ABOUT),
        ("an estimated", ABOUT),
        ("estimated", ABOUT),
        ("close to", ABOUT),
        ("an approximate", ABOUT),
        ("circa", ABOUT),
        ("at least", AT_LEAST),
        ("no fewer than", AT_LEAST),
        ("no less than", AT_LEAST),
        ("not less than", AT_LEAST),
        ("a minimum of", AT_LEAST),
        ("more than", MORE_THAN),
        ("over", MORE_THAN),
        ("in excess of", MORE_THAN),
        ("upwards of", MORE_THAN),
        ("above", MORE_THAN),
        ("well over", MORE_THAN),
        ("up to", UP_TO),
        ("as many as", UP_TO),
        ("as much as", UP_TO),
        ("fewer than", UP_TO),
        ("less than", UP_TO),
        ("under", UP_TO),
        ("no more than", UP_TO),
        ("a maximum of", UP_TO),
        ("at most", UP_TO),
        ("More Than", MORE_THAN),
    ],
)
def test_leading_hedges(phrase: str, qualifier: str) -> None:
    prefix = "Officials said "
    text = f"{prefix}{phrase} 300 soldiers died"
    m = only(text)
    assert (m.text, m.value, m.qualifier) == ("300", 300, qualifier)
    assert m.hedge_start == len(prefix)
    assert text[m.hedge_start : m.start] == f"{phrase} "


def test_hedge_allows_an_intervening_of() -> None:
    text = "more than of 300"
    assert (only(text).qualifier, only(text).hedge_start) == (MORE_THAN, 0)


def test_hedge_spans_a_line_break() -> None:
    m = only("at\nleast 300")
    assert (m.qualifier, m.hedge_start) == (AT_LEAST, 0)


def test_hedge_must_be_a_whole_word() -> None:
    m = only("the rover 300")
    assert (m.qualifier, m.hedge_start) == (EXACT, None)


def test_hedge_before_money_includes_currency_sign() -> None:
    text = "more than $5 billion"
    m = only(text)
    assert (m.text, m.value, m.kind, m.qualifier, m.hedge_start) == (
        "$5 billion",
        5_000_000_000,
        K.money,
        MORE_THAN,
        0,
    )


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("300 or more soldiers", AT_LEAST),
        ("300-plus soldiers", MORE_THAN),
        ("300+ soldiers", MORE_THAN),
        ("300 or so soldiers", ABOUT),
        ("300 or fewer soldiers", UP_TO),
        ("300 or less", UP_TO),
        ("300 soldiers", EXACT),
    ],
)
def test_trailing_hedges(text: str, qualifier: str) -> None:
    m = only(text)
    assert (m.text, m.value, m.qualifier, m.hedge_start) == ("300", 300, qualifier, None)


@pytest.mark.parametrize(
    "text", ["some F-16s", "around 3pm", "around 2010", "about the 1980s", "nearly March 3"]
)
def test_non_quantities_keep_exact(text: str) -> None:
    m = only(text)
    assert (m.qualifier, m.hedge_start) == (EXACT, None)


def test_hedged_durations_and_ages_keep_their_hedge() -> None:
    mentions = find_mentions("nearly two years, under 18 years old")
    assert [(m.kind, m.qualifier) for m in mentions] == [(K.duration, ABOUT), (K.age, UP_TO)]


def test_every_qualifier_is_a_known_name() -> None:
    text = "about 1, at least 2, more than 3, up to 4, 5"
    assert [m.qualifier for m in find_mentions(text)] == [*QUALIFIERS[1:], EXACT]


# --- Ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "surface", "low", "high", "kind"),
    [
        ("10,000 to 12,000 troops", "10,000 to 12,000", 10_000, 12_000, K.count),
        ("10,000-12,000 troops", "10,000-12,000", 10_000, 12_000, K.count),
        ("10,000–12,000 troops", "10,000–12,000", 10_000, 12_000, K.count),
        ("10,000 - 12,000 troops", "10,000 - 12,000", 10_000, 12_000, K.count),
        ("from 10,000 to 12,000 troops", "10,000 to 12,000", 10_000, 12_000, K.count),
        ("10-12 thousand troops", "10-12 thousand", 10_000, 12_000, K.count),
        ("1.5 to 2 million people", "1.5 to 2 million", 1_500_000, 2_000_000, K.count),
        ("two to three hundred", "two to three hundred", 200, 300, K.count),
        ("ten to twelve thousand", "ten to twelve thousand", 10_000, 12_000, K.count),
        ("300 to 2 million", "300 to 2 million", 300, 2_000_000, K.count),
        ("1939-45", "1939-45", 1939, 1945, K.year),
        ("2023-2024", "2023-2024", 2023, 2024, K.year),
        ("the 2022-23 season", "2022-23", 2022, 2023, K.year),
        ("from 2014 to 2022", "2014 to 2022", 2014, 2022, K.year),
        ("2000-3000 troops", "2000-3000", 2000, 3000, K.count),
        ("3-5 March", "3-5", 3, 5, K.date),
        ("18-25-year-olds", "18-25", 18, 25, K.age),
        ("two to three months", "two to three", 2, 3, K.duration),
        ("3-5%", "3-5%", 3, 5, K.percent),
        ("$10-12 billion", "$10-12 billion", 10_000_000_000, 12_000_000_000, K.money),
        ("$5bn to $6bn", "$5bn to $6bn", 5_000_000_000, 6_000_000_000, K.money),
    ],
)
def test_ranges(text: str, surface: str, low: int, high: int, kind: MentionKind) -> None:
    m = only(text)
    assert (m.text, m.value, m.low, m.high, m.kind) == (surface, low, low, high, kind)
    assert text[m.start : m.end] == surface


@pytest.mark.parametrize(
    ("text", "surface", "low", "high", "kind"),
    [
        ("between 10,000 and 12,000 troops", "10,000 and 12,000", 10_000, 12_000, K.count),
        ("between 2 and 3 million people", "2 and 3 million", 2_000_000, 3_000_000, K.count),
        ("between two and three", "two and three", 2, 3, K.count),
        ("between $5bn and $6bn", "$5bn and $6bn", 5_000_000_000, 6_000_000_000, K.money),
        ("aged between 18 and 25", "18 and 25", 18, 25, K.age),
    ],
)
def test_between_ranges_point_hedge_start_at_between(
    text: str, surface: str, low: int, high: int, kind: MentionKind
) -> None:
    m = only(text)
    assert (m.text, m.low, m.high, m.kind, m.qualifier) == (surface, low, high, kind, EXACT)
    assert m.hedge_start == text.index("between")


def test_between_range_with_outer_hedge() -> None:
    m = only("roughly between 10 and 12 thousand troops")
    assert (m.low, m.high, m.qualifier, m.hedge_start) == (10_000, 12_000, ABOUT, 0)


def test_hedged_range() -> None:
    m = only("at least 1,000 to 1,500 troops")
    assert (m.text, m.low, m.high, m.qualifier, m.hedge_start) == (
        "1,000 to 1,500",
        1000,
        1500,
        AT_LEAST,
        0,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10,000 or 12,000", [("10,000", 10_000, "count"), ("12,000", 12_000, "count")]),
        ("won 3-1", [("3", 3, "count"), ("1", 1, "count")]),
        ("fell from 500 to 300", [("500", 500, "count"), ("300", 300, "count")]),
        ("300 and 400", [("300", 300, "count"), ("400", 400, "count")]),
        ("In 2023, 300 soldiers", [("2023", 2023, "year"), ("300", 300, "count")]),
        ("3% to 5%", [("3%", 3, "percent"), ("5%", 5, "percent")]),
        ("300-plus", [("300", 300, "count")]),
        ("KN-23", [("KN-23", 23, "model_number")]),
    ],
)
def test_not_ranges(text: str, expected: list[tuple[str, int, str]]) -> None:
    assert summary(text) == expected
    assert all(m.low is None and m.high is None for m in find_mentions(text))


# --- Offsets, order, overlap ----------------------------------------------------------------

_ARTICLES = [
    "South Korea's NIS said some 300 North Korean soldiers were killed and 2,700 wounded.",
    "Between 10,000 and 12,000 troops, aged 18 to 25, arrived on Nov. 4, 2024 at 3 a.m.",
    "Kyiv asked for $5 billion, 155mm shells and F-16s; 3% of the budget, £3m, half a dozen.",
    "The 1939-45 war, the 1980s, a 19-year-old and twenty-five T-72 tanks in mid-2024.",
    "Up to 2.7 thousand killed, 300k displaced, the G7 met at 10:30 on 9/11 for two days.",
    "At\nleast one hundred and fifty-two people, 1,000-1,500 more, 300+ — the third wave.",
]


@pytest.mark.parametrize("text", _ARTICLES)
def test_offsets_order_and_no_overlap(text: str) -> None:
    mentions = find_mentions(text)
    assert mentions
    for m in mentions:
        assert text[m.start : m.end] == m.text
        assert m.qualifier in QUALIFIERS
        if m.hedge_start is not None:
            assert m.hedge_start < m.start
        if m.low is not None or m.high is not None:
            assert m.low is not None and m.high is not None
            assert m.value == m.low < m.high
    for a, b in itertools.pairwise(mentions):
        assert a.end <= b.start


def test_offsets_are_into_the_original_text() -> None:
    text = "Of the troops, 300 died; of the rest, two thousand fled."
    first, second = find_mentions(text)
    assert (first.start, first.end, first.text) == (15, 18, "300")
    assert (second.start, second.end, second.text) == (38, 50, "two thousand")


def test_mention_is_frozen() -> None:
    m = only("300 killed")
    with pytest.raises(AttributeError):
        m.value = 1  # type: ignore[misc]


# --- values_in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.7 thousand soldiers", {2700}),
        ("three soldiers", {3}),
        ("10,000 to 12,000 troops", {10_000, 12_000}),
        ("a dozen people", {12}),
        ("in 2024", {2024}),
        ("some 300 killed and 2,700 wounded since October 2024", {300, 2700, 2024}),
        ("a 19-year-old with KN-23 missiles", {19, 23}),
        ("1939-45", {1939, 1945}),
        ("$10-12 billion", {10_000_000_000, 12_000_000_000}),
        ("hundreds of thousands", set()),
        ("2.5 tonnes", set()),
        ("one of them", {1}),
        ("", set()),
    ],
)
def test_values_in(text: str, expected: set[int]) -> None:
    assert values_in(text) == expected


# --- A realistic sentence -------------------------------------------------------------------


def test_news_sentence() -> None:
    text = (
        "South Korea's NIS said some 300 North Korean soldiers were killed and 2,700 wounded "
        "since October 2024, and the 19-year-old was captured near Kursk with KN-23 missiles; "
        "10,000 to 12,000 troops were sent in 2024."
    )
    mentions = find_mentions(text)
    assert [(m.text, m.kind, m.value, m.low, m.high, m.qualifier) for m in mentions] == [
        ("300", K.count, 300, None, None, ABOUT),
        ("2,700", K.count, 2700, None, None, EXACT),
        ("2024", K.year, 2024, None, None, EXACT),
        ("19", K.age, 19, None, None, EXACT),
        ("KN-23", K.model_number, 23, None, None, EXACT),
        ("10,000 to 12,000", K.count, 10_000, 10_000, 12_000, EXACT),
        ("2024", K.year, 2024, None, None, EXACT),
    ]
    candidates = [m for m in mentions if m.is_candidate]
    assert [m.text for m in candidates] == ["300", "2,700", "10,000 to 12,000"]
    assert candidates[0].hedge_start == text.index("some 300")
    for m in mentions:
        assert text[m.start : m.end] == m.text
    assert values_in(text) == {300, 2700, 2024, 19, 23, 10_000, 12_000}


def test_news_paragraph_with_every_kind() -> None:
    text = (
        "On March 3, 2024 at 3pm, more than 1,200 civilians fled; a dozen were aged 60 or over. "
        "Kyiv asked for $2.5bn, or 3% of GDP, for 155mm shells over two months, its third plea."
    )
    assert summary(text) == [
        ("3", 3, "date"),
        ("2024", 2024, "year"),
        ("3pm", 3, "time"),
        ("1,200", 1200, "count"),
        ("a dozen", 12, "count"),
        ("60", 60, "age"),
        ("$2.5bn", 2_500_000_000, "money"),
        ("3%", 3, "percent"),
        ("155mm", 155, "model_number"),
        ("two", 2, "duration"),
        ("third", 3, "ordinal"),
    ]


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("missiles that can fly about 700 kilometres", "700 kilometres"),
        ("targets up to 60 km away", "60 km"),
        ("1.5 million 152-mm rounds", "152-mm"),
        ("a 20-tonne load of 40 tons", "40 tons"),
        ("received more than 2 million barrels of fuel", "2 million barrels"),
        ("the rubble of a 9-story building", "9-story"),
        ("a six-storey apartment block", "six-storey"),
        ("removed 95,000 cubic metres of rubble", "95,000 cubic metres"),
    ],
)
def test_distances_weights_and_calibres_are_measures_not_counts(text: str, measure: str) -> None:
    found = {m.text: m for m in find_mentions(text)}
    assert found[measure].kind is MentionKind.measure and not found[measure].is_candidate


def test_an_area_stays_a_count() -> None:
    (m,) = find_mentions("Russian troops captured 143 square miles in February")
    assert m.kind is MentionKind.count and m.value == 143


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Kim Jong Un, 41, has not acknowledged the losses.", MentionKind.age),
        ("Peskov, 57, told reporters.", MentionKind.age),
        ("In March, 41 soldiers died.", MentionKind.count),
        ("Of those, 41, mostly conscripts, were killed.", MentionKind.count),
        ("Russia lost 300, Ukraine said.", MentionKind.count),
    ],
)
def test_an_age_between_commas_after_a_name(text: str, kind: MentionKind) -> None:
    (m,) = find_mentions(text)
    assert m.kind is kind


@pytest.mark.parametrize(
    ("text", "value", "low", "high"),
    [
        ("They sent twenty-one hundred troops.", 2100, None, None),
        ("They sent twenty-one-hundred troops.", 2100, None, None),
        ("They sent 21-hundred troops.", 2100, None, None),
        ("North Korea shipped 3 to 5 million shells.", 3_000_000, 3_000_000, 5_000_000),
        ("Between 1.5 and 2 million rounds were delivered.", 1_500_000, 1_500_000, 2_000_000),
    ],
)
def test_hundreds_and_shared_scale_ranges(
    text: str, value: int, low: int | None, high: int | None
) -> None:
    (mention,) = [m for m in find_mentions(text) if m.is_candidate]
    assert (mention.value, mention.low, mention.high) == (value, low, high)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Kyiv says some 9 000 troops from Pyongyang have reached the border.", 9000),
        ("The division numbers 2\u00a0600 soldiers.", 2600),
        ("In 2024 300 troops were sent.", 300),
    ],
)
def test_space_grouped_thousands(text: str, value: int) -> None:
    assert [m.value for m in find_mentions(text) if m.is_candidate] == [value]
    assert parse_number("3 000") == 3000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Agencies' compound digits: one number, not a scaled part and a stray remainder.
        ("AFAD said 12 thousand 873 people died", [12873]),
        ("1 million 255 thousand 500 blankets and 10 cities", [1_255_500, 10]),
        # A part of a thousand or more is its own number: a count, then a year.
        ("2 million in 2023", [2_000_000, 2023]),
        ("5 thousand 10 thousand", [5000, 10_000]),
        # Shared scales in ranges and hyphenated hundreds.
        ("3 to 5 million shells", [3_000_000]),
        ("between 1.5 and 2 million", [1_500_000]),
        ("twenty-one-hundred troops and 21-hundred more", [2100, 2100]),
    ],
)
def test_compound_and_shared_scale_numbers(text: str, expected: list[int]) -> None:
    assert [m.value for m in find_mentions(text)] == expected


@pytest.mark.parametrize("text", ["5\nthousand troops", "5\n thousand troops", "5 \nthousand"])
def test_a_scale_word_on_the_next_line_does_not_crash(text: str) -> None:
    # Hard-wrapped text puts a line break between a number and its scale word.
    assert [m.value for m in find_mentions(text)] == [5000]


@pytest.mark.parametrize(
    "text", ["50 million taka", "1,140 naira", "12 billion pesos", "145,000 shillings", "20 lira"]
)
def test_sums_in_more_currencies_are_money_not_counts(text: str) -> None:
    (mention,) = find_mentions(f"The government set aside {text} for relief.")
    assert mention.kind == MentionKind.money and not mention.is_candidate


@pytest.mark.parametrize(
    ("text", "value", "high"),
    [
        ("officials put the force at 14 to 15,000 soldiers", 14_000, 15_000),
        ("between 5 and 12,000 people", 5, 12_000),
        ("from 900 to 1,000 troops", 900, 1_000),
    ],
)
def test_thousands_written_once_for_both_ends_of_a_range(text: str, value: int, high: int) -> None:
    from pipeline.text.article import Article

    [mention] = [m for m in Article(text).mentions if m.is_candidate]
    assert (mention.value, mention.high) == (value, high)


def test_a_loose_span_of_time_is_one_duration_but_counts_stay_apart() -> None:
    from pipeline.text.article import Article

    [span] = Article("the raid lasted five or six minutes").mentions
    assert (span.kind, span.value, span.high) == (MentionKind.duration, 5, 6)
    counts = [m.value for m in Article("two or three people died").mentions if m.is_candidate]
    assert counts == [2, 3]

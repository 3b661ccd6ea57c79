"""Tallies of losses, past events cited for comparison, glued sentences and new cue words:
the labelling rules of anchored v13, on invented sentences."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pipeline.extract.past_events import PAST_YEARS, cites_past_event, story_year
from pipeline.text.article import Article
from pipeline.text.numbers import MentionKind
from pipeline.text.sentences import split_sentences
from tests.test_extract import _options_asked


def asked(topic: str, text: str) -> dict[str, str]:
    found: dict[str, str] = _options_asked(topic, text)[0]
    return found


def labelled(topic: str, text: str, labels: dict[str, str]) -> dict[int, str]:
    outcome: Any = _options_asked(topic, text, labels)[1]
    return {c.claim.value: c.claim.metric.value for c in outcome.claims}


# --- Tallies of losses ------------------------------------------------------------------


def test_things_in_a_tally_of_losses_are_other_whatever_their_noun() -> None:
    text = (
        "The Ukrainian general staff said the Russian army suffered heavy losses over the day, "
        "including 730 troops, 41 artillery systems and 66 drones."
    )
    options = asked("ukraine_dprk", text)
    # "artillery" is no supply and "drones" no deployment here: both are equipment lost.
    assert options["41"] == "other" and options["66"] == "other"
    assert options["730"].startswith("killed_or_wounded")


def test_a_tally_goes_on_past_an_aside_and_a_verb_before_the_list_counts() -> None:
    options = asked(
        "ukraine_dprk",
        "Its losses include 5,120 tanks, 9,870 armoured vehicles (AFVs), and 8,800 artillery "
        "systems. Kyiv said Moscow had lost 21 fighting vehicles, 17 artillery pieces and 40 "
        "drones over the previous day.",
    )
    assert {options[k] for k in ["5,120", "9,870", "8,800", "21", "17", "40"]} == {"other"}


def test_people_of_a_tally_get_the_loss_and_a_number_with_a_verb_keeps_its_own() -> None:
    options = asked(
        "ukraine_dprk",
        "That brings overall Russian losses since the invasion to a staggering 402,300 personnel. "
        "Officials said 300 soldiers had been killed, and 12,000 troops were deployed.",
    )
    assert options["402,300"].startswith("killed_or_wounded")
    assert "killed" not in options["12,000"]


def test_a_loss_of_things_makes_every_number_of_its_tally_other() -> None:
    options = asked(
        "ukraine_dprk",
        "March saw the heaviest Russian tank losses of the year, with 312 in all. Artillery losses "
        "peaked in April and May, with 840 and 815 systems destroyed.",
    )
    assert options["312"] == "other" and options["840"] == "other"


def test_a_cue_of_the_number_before_is_no_tally() -> None:
    # "missing" names the 40, not the cases after it; "arrested" is the 14's verb.
    options = asked(
        "protests",
        "Rights groups count 40 missing people, 210 cases of abuse and 9 cases of torture. "
        "Police said 22 people were arrested and 27 others were questioned.",
    )
    assert options["210"] == "other" and options["9"] == "other"
    assert options["27"] == "other"


def test_an_area_taken_is_other_never_a_capture() -> None:
    options = asked(
        "ukraine_dprk",
        "Analysts said the Russian army captured 57 square miles last week and 180 square miles "
        "altogether in May.",
    )
    assert options["57"] == "other" and options["180"] == "other"


def test_a_daily_tally_shares_its_metric_across_dates() -> None:
    options = asked(
        "ukraine_dprk",
        "The worst days for Russia came in June – Jun. 3, with 1,210 casualties, Jun. 9, with "
        "1,190, and Jun. 14, with 1,175.",
    )
    assert options["1,190"].startswith("killed_or_wounded")
    assert options["1,175"].startswith("killed_or_wounded")


# --- Verbs and cue words ----------------------------------------------------------------


def test_a_second_verb_after_and_belongs_to_the_next_number() -> None:
    options = asked(
        "disaster", "The cyclone, which killed 4,310 people and injured at least 9,000, moved on."
    )
    assert options["4,310"] == "killed/other" and options["9,000"] == "wounded/other"


def test_the_verb_after_a_noun_says_what_befell_it() -> None:
    options = asked("protests", "Officials said 140 demonstrators were arrested overnight.")
    assert options["140"].startswith("arrested")


@pytest.mark.parametrize(
    ("topic", "text", "number", "metric"),
    [
        (
            "protests",
            "Medics said two protesters were fatally shot near the square.",
            "two",
            "killed",
        ),
        ("disaster", "Quake deaths: the toll crosses 9,400 as rescuers dig.", "9,400", "killed"),
        (
            "disaster",
            "The storm led to the displacement of over 700 residents in the valley.",
            "700",
            "displaced",
        ),
        (
            "ukraine_dprk",
            "Kyiv reported the loss of 880 soldiers in one day.",
            "880",
            "killed_or_wounded",
        ),
        ("protests", "Police said 4 protesters were beaten to death.", "4", "killed"),
        (
            "protests",
            "Police put the number of casualties among police and strikers at “around 90”.",
            "90",
            "killed_or_wounded",
        ),
    ],
)
def test_cue_words_of_v13(topic: str, text: str, number: str, metric: str) -> None:
    assert asked(topic, text)[number].split("/")[0] == metric


def test_a_rate_and_a_population_are_not_sent() -> None:
    options = asked(
        "disaster",
        "The flood hit a valley that is home to 2.4 million people. Crews pumped 900 homes "
        "daily, and 31 people died.",
    )
    assert "2.4 million" not in options and "900" not in options and "31" in options


# --- Past events cited for comparison ---------------------------------------------------


TODAY = datetime.date(2026, 6, 1)


def _sentence_mentions(text: str) -> tuple[Any, list[Any], list[Any]]:
    article = Article(text)
    sentence = article.sentences[0]
    inside = article.mentions_in(sentence.start, sentence.end)
    counts = [m for m in inside if m.is_candidate]
    years = [m for m in inside if m.kind is MentionKind.year]
    return sentence, counts, years


@pytest.mark.parametrize(
    ("text", "past"),
    [
        ("The toll passed that of the 1976 quake, which killed an estimated 24,000 people.", True),
        ("It is close to the wave off Sumatra that killed nearly 7,300 in 2004.", True),
        ("A storm of the same strength in 1999 ended up killing 2,800.", True),
        ("The toll reached 9,000, passing the 1999 storm.", False),
        ("Since 2014, 9,000 people have died in the east.", False),
        ("The conflict that began in 2014 has killed 9,000 people.", False),
        ("In March 2025 the floods killed 41 people.", False),
    ],
)
def test_a_figure_tied_to_an_old_year_is_a_past_event(text: str, past: bool) -> None:
    sentence, counts, years = _sentence_mentions(text)
    newest = story_year(years, TODAY)
    assert [cites_past_event(sentence, m, years, newest) for m in counts] == [past]


def test_the_story_year_is_its_newest_year_or_today() -> None:
    _, _, years = _sentence_mentions("Between 2031 and 2033 it rained.")
    assert story_year(years, TODAY) == 2033
    assert story_year([], TODAY) == 2026
    assert PAST_YEARS >= 5


def test_a_past_event_is_not_sent_to_the_model() -> None:
    options = asked(
        "disaster",
        "The death toll has passed 8,100, surpassing the 1970 quake, which killed 6,000 people.",
    )
    assert "8,100" in options and "6,000" not in options


# --- Glued sentences ------------------------------------------------------------------


def test_sentences_glued_without_a_space_are_split() -> None:
    text = (
        "The agency said 4,000 troops were sent to the border.The ministry said Mr.Lee and the "
        "U.S. envoy met in St.Petersburg, Gazeta.Ru reported."
    )
    assert [s.text for s in split_sentences(text)] == [
        "The agency said 4,000 troops were sent to the border.",
        "The ministry said Mr.Lee and the U.S. envoy met in St.Petersburg, Gazeta.Ru reported.",
    ]


def test_every_part_of_a_breakdown_is_what_befell_the_whole() -> None:
    options = asked(
        "protests",
        "Police said 52 officers were injured in the protest - 30 gendarmes, four members of "
        "the riot unit and eight police officers of the traffic brigade.",
    )
    assert options["four"] == "wounded/other" and options["eight"] == "wounded/other"


def test_pulled_from_the_rubble_is_a_rescue_but_bodies_stay_dead() -> None:
    options = asked(
        "disaster",
        "After the quake, rescuers said 640 people had been pulled from the debris. They also "
        "recovered 75 bodies pulled from the rubble.",
    )
    assert options["640"].startswith("rescued")
    assert options["75"].startswith("killed") and "rescued" in options["75"]


def test_a_tally_after_another_still_counts_things_as_other() -> None:
    options = asked(
        "ukraine_dprk",
        "Ukraine's forces destroyed another four tanks, 19 artillery systems and 61 drones.",
    )
    assert {options[k] for k in ["four", "19", "61"]} == {"other"}


def test_and_the_number_of_starts_another_clause() -> None:
    options = asked(
        "disaster",
        "The death toll in the north has risen to 2,480 and the number of wounded stands at 5,100.",
    )
    assert options["2,480"].startswith("killed") and "wounded" not in options["2,480"]


def test_a_cue_after_the_is_a_noun_not_the_numbers_verb() -> None:
    options = asked(
        "disaster",
        "The floods brought the total to 6,400 soldiers who joined the hunt for the missing.",
    )
    assert "missing" not in options["6,400"]


@pytest.mark.parametrize(
    "text",
    [
        "In the flooded town, one resident said the water came at night.",
        "Two rallies were held in the capital as the floods receded.",
        "Calls to the emergency line number 1515 jammed after the floods.",
        "The aftershock lasted five or six minutes, the floods agency said.",
    ],
)
def test_speakers_gatherings_phone_numbers_and_loose_durations_are_not_sent(text: str) -> None:
    assert asked("disaster", text + " Officials said 12 people died.") == {"12": "killed/other"}


def test_each_place_then_its_number_shares_the_first_numbers_metric() -> None:
    options = asked(
        "protests",
        "After the protest, City Hospital is treating 140, Mercy Centre 38, St Anne 12.",
    )
    assert options["140"].startswith("wounded")
    assert options["38"].startswith("wounded") and options["12"].startswith("wounded")


@pytest.mark.parametrize(
    ("text", "number", "options"),
    [
        ("Kyiv said 23 North Korean soldiers have fled their positions.", "23", "other"),
        ("Russia and Ukraine swap 190 prisoners each in a brokered deal", "190", "other"),
        (
            "Pyongyang had sent at least 40 more howitzers to Russia by rail.",
            "40",
            "munitions_supplied/other",
        ),
        ("Kyiv said it was holding seven North Korean servicemen.", "seven", "captured/other"),
        ("Kyiv said its forces had recaptured 9 settlements near Kursk.", "9", "other"),
    ],
)
def test_home_topic_words_of_v13(text: str, number: str, options: str) -> None:
    assert asked("ukraine_dprk", text)[number] == options


def test_listed_as_missing_names_the_missing() -> None:
    options = asked(
        "ukraine_dprk",
        "More than 7,400 Ukrainians, soldiers and civilians, are listed as missing, Kyiv said.",
    )
    assert options["7,400"].startswith("missing")


def test_elided_things_share_the_noun_of_the_number_before() -> None:
    options = asked(
        "ukraine_dprk",
        "Ukrainian air defences shot down 96 of the drones, while another 17 were lost.",
    )
    assert options["96"] == "other" and options["17"] == "other"


def test_villages_taken_are_territory_not_a_count_of_places() -> None:
    text = "Russia said its troops had captured 4 villages in the east, near Kursk."
    assert asked("ukraine_dprk", text)["4"] == "other"
    assert labelled("ukraine_dprk", text, {"4": "other"}) == {4: "other"}
    text = "Fighting raged around 4 villages in the east, near Kursk, Russia said."
    assert labelled("ukraine_dprk", text, {"4": "other"}) == {}


@pytest.mark.parametrize(
    ("text", "number", "options"),
    [
        ("June saw the worst Russian tank losses, totaling 377.", "377", "other"),
        (
            '"In return, 88 Ukrainian POWs were handed over," Moscow said.',
            "88",
            "other",
        ),
        ("Kyiv said 12 Russian soldiers blew themselves up with grenades.", "12", "killed/other"),
    ],
)
def test_tallies_handovers_and_suicides(text: str, number: str, options: str) -> None:
    assert asked("ukraine_dprk", text)[number] == options


def test_a_part_is_never_none_when_its_whole_names_an_event() -> None:
    text = "Kyiv said more than 150 homes, including 40 apartment blocks, have been damaged."
    assert labelled("ukraine_dprk", text, {}) == {150: "other", 40: "other"}


def test_a_yearly_rate_is_not_sent() -> None:
    assert "900,000" not in asked("ukraine_dprk", "Kyiv says 900,000 shells go to Russia annually.")


def test_thresholds_and_parts_of_places_are_not_claims() -> None:
    text = (
        "Officials said 41 aftershocks followed the quake, of which 6 were above 7. "
        "Rain is forecast in 12 of the country's 30 provinces after the quake."
    )
    assert "7" not in asked("disaster", text)
    # The part of the aftershocks is a claim; the provinces are where, not how many.
    labels = {"41": "other", "12": "other", "30": "other"}
    assert labelled("disaster", text, labels) == {41: "other", 6: "other"}


def test_people_already_on_site_are_deployed() -> None:
    options = asked(
        "disaster", "After the floods, 900 more troops joined the 2,100 already on site."
    )
    assert options["2,100"].startswith("deployed")


def test_under_an_age_is_no_count_but_a_toll_under_a_figure_is() -> None:
    options = asked("protests", "The group said 7 of the dead were under 16, and 40 were arrested.")
    assert "16" not in options and options["7"].startswith("killed")
    assert "120" in asked("disaster", "Officials said the number of dead was under 120.")

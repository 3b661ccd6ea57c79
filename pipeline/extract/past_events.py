"""Figures of an earlier event that a story cites for comparison, which are not its claims.

News of a disaster or a war measures it against the past: "surpassed the 1962 earthquake, which
killed 12,000", "the wave off the coast that killed nearly 7,300 in 2004". The labelling guide
counts only the story's own event. A figure tied to a year well before the story's time is such
a comparison. A story's time is the newest year it names, or the current year if that is
later: a story often names no year of its own ("on Monday"), and spanfact reads news as it
comes. A year that starts a running count ("since 2014", "the war that began in 2014") is no
such tie: the figure runs to the present.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence

from pipeline.text.numbers import MentionKind, NumberMention
from pipeline.text.sentences import Sentence

# How many years before the story's newest year an event is a past one. Comparisons reach
# decades back; a story's own event is named by this year or the last.
PAST_YEARS = 8
# A year right after the figure: "killed nearly 7,300 in 2004", "1,200 people in 1988", "left
# 410 dead in March 1968", "the 6,100 killed in a strong quake off Chile in 2009".
_YEAR_AFTER = re.compile(
    r"^(?:\s+(?:[A-Za-z][\w'’-]*|\d+\.\d+)){0,8}\s+in\s+"
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+)?$"
)
# Between a year and a figure of its event: "1962, which killed an estimated", "in 1962 ended up
# killing". A clause break other than a relative one, or another number, ends the tie.
_YEAR_BEFORE = re.compile(r"^[^;:.!?\d]{0,70}$")
# A year that starts a running count, or one of a span of years.
_RUNNING_FROM = re.compile(
    r"\b(?:since|from|between|began|begun|beginning|start|started|starting|launched|"
    r"through|until|till|to)\s+(?:\w+\s+){0,2}$",
    re.IGNORECASE,
)


def story_year(mentions: Sequence[NumberMention], today: datetime.date | None = None) -> int:
    """The newest year a story names, or the current year if that is later."""
    now = (today or datetime.date.today()).year
    years = [m.high or m.value for m in mentions if m.kind is MentionKind.year]
    return max([now, *years])


def cites_past_event(
    sentence: Sentence, mention: NumberMention, years: Sequence[NumberMention], newest: int
) -> bool:
    """Whether a figure belongs to an event of a year well before `newest`, in its sentence."""
    text, base = sentence.text, sentence.start
    for year in years:
        if newest - year.value < PAST_YEARS or not sentence.start <= year.start < sentence.end:
            continue
        if _RUNNING_FROM.search(text[: year.start - base]):
            continue
        if year.start > mention.end:
            if _YEAR_AFTER.match(text[mention.end - base : year.start - base]):
                return True
        elif _YEAR_BEFORE.match(text[year.end - base : mention.start - base]):
            return True
    return False

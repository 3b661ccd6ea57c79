"""Which logged model calls produced a claim.

No column links a claim to its calls: the log is keyed by request, and a cached answer is
replayed without a new row. A claim's calls are found by what they were shown: the calls of the
claim's model and prompt whose passage holds the claim's sentence. A call logged by another run
than the claim's answered it from the cache.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# The anchored prompt writes each number as [id:number]; the article's own words lie between.
_MARKED = re.compile(r"\[\d+:([^\]\n]*)\]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class LoggedCall:
    call_id: str
    request_hash: str
    attempt: int
    status: str
    model: str
    prompt_name: str | None
    prompt_version: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float | None
    run_id: str | None
    created_at: datetime | None
    error: str | None
    passage: str  # the last user message, unmarked and with spaces collapsed


@dataclass(frozen=True)
class ClaimCall:
    call: LoggedCall
    cached: bool  # the claim's run replayed this answer from the log


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def passage_of(messages: object) -> str:
    """The text of the last user message, as the article wrote it (marks taken out)."""
    if isinstance(messages, str):
        try:
            messages = json.loads(messages)
        except json.JSONDecodeError:
            return ""
    if not isinstance(messages, list):
        return ""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    if not users:
        return ""
    return _squash(_MARKED.sub(r"\1", str(users[-1].get("content", ""))))


def calls_for_claim(
    needles: Sequence[str],
    *,
    model: str,
    prompt_name: str,
    prompt_version: str,
    run_id: str,
    calls: Sequence[LoggedCall],
) -> tuple[ClaimCall, ...]:
    """Every attempt of each request that showed the model a needle, newest asking only.

    `needles` are tried in order (the quote, then the located span's text): the first that some
    call holds decides. A request asked again (--no-cache, --force) has the same hash; only its
    newest asking is kept, as that is the answer the claim was stored from.
    """
    mine = [
        c
        for c in calls
        if c.model == model and c.prompt_name == prompt_name and c.prompt_version == prompt_version
    ]
    for needle in needles:
        wanted = _squash(needle)
        if not wanted:
            continue
        hashes = {c.request_hash for c in mine if wanted in c.passage}
        if not hashes:
            continue
        # A re-ask's last message is the error, not the passage: its attempts are found by the
        # request hash they share with the first.
        attempts = [c for c in mine if c.request_hash in hashes]
        newest: dict[str, datetime] = {}
        for c in attempts:
            when = c.created_at or datetime.min
            newest[c.request_hash] = max(newest.get(c.request_hash, when), when)
        kept = sorted(
            (c for c in attempts if (c.created_at or datetime.min) == newest[c.request_hash]),
            key=lambda c: (c.created_at or datetime.min, c.request_hash, c.attempt),
        )
        return tuple(ClaimCall(c, cached=c.run_id != run_id) for c in kept)
    return ()

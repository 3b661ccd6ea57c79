"""Answering a schema that only picks among fixed strings, without generating its JSON.

The anchored labels schema, `{"labels":{"1":"killed","2":"none"}}`, leaves the model nothing to
write but the choices: the braces, keys and quotes are fixed by the schema. Generating them one
token at a time costs a full forward pass per token (~0.1 s each on 2 cores). Here the fixed text
is fed in as a batch, like prompt text, and at each choice the model's next-token logits pick
among the allowed strings' tokens. That is what grammar-constrained greedy decoding does, minus
the passes spent writing text the grammar would have forced anyway.

`choice_plan` is pure: it turns a JSON schema into fixed pieces and choices, or None when the
schema leaves anything else open (free text, numbers, optional keys), so those requests keep
the ordinary grammar path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChoicePlan:
    """An answer as `pieces[0] choice_1 pieces[1] ... choice_n pieces[n]`."""

    pieces: tuple[str, ...]
    choices: tuple[tuple[str, ...], ...]

    def render(self, picked: Sequence[str]) -> str:
        out = [self.pieces[0]]
        for value, piece in zip(picked, self.pieces[1:], strict=True):
            out += [value, piece]
        return "".join(out)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = defs.get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return node


def _string_choices(node: dict[str, Any]) -> tuple[str, ...] | None:
    if "const" in node:
        values = [node["const"]]
    elif "enum" in node:
        values = list(node["enum"])
    else:
        return None
    if not values or not all(isinstance(v, str) for v in values):
        return None
    # The value sits between quotes the plan writes itself: anything JSON would escape is out.
    if any(json.dumps(v)[1:-1] != v for v in values):
        return None
    return tuple(dict.fromkeys(values))


def choice_plan(schema: dict[str, Any]) -> ChoicePlan | None:
    """The fixed pieces and choices of a schema made only of required keys and string choices."""
    defs = schema.get("$defs", {})
    pieces: list[str] = []
    choices: list[tuple[str, ...]] = []
    text = [""]

    def walk(node: dict[str, Any]) -> bool:
        node = _resolve(node, defs)
        options = _string_choices(node)
        if options is not None:
            pieces.append(text[0] + '"')
            choices.append(options)
            text[0] = '"'
            return True
        properties = node.get("properties")
        if node.get("type") != "object" or not isinstance(properties, dict) or not properties:
            return False
        if set(node.get("required", [])) != set(properties):
            return False
        text[0] += "{"
        for k, (key, child) in enumerate(properties.items()):
            text[0] += ("," if k else "") + json.dumps(key) + ":"
            if not isinstance(child, dict) or not walk(child):
                return False
        text[0] += "}"
        return True

    if not walk(schema) or not choices:
        return None
    return ChoicePlan(pieces=(*pieces, text[0]), choices=tuple(choices))


Tokenize = Callable[[bytes], list[int]]
# The token whose text is exactly these bytes, if the vocabulary has one.
TokenOf = Callable[[bytes], int | None]
# Evaluates tokens after those already evaluated; returns the logits that follow the last one.
Evaluate = Callable[[list[int]], Sequence[float]]


def allowed_tokens(rests: Iterable[bytes], token_of: TokenOf) -> dict[int, bytes]:
    """Every token a grammar would allow next: one whose text starts some option's rest."""
    allowed: dict[int, bytes] = {}
    for rest in rests:
        for k in range(1, len(rest) + 1):
            token = token_of(rest[:k])
            if token is not None:
                allowed[token] = rest[:k]
    return allowed


def decode(
    plan: ChoicePlan,
    tokenize: Tokenize,
    token_of: TokenOf,
    evaluate: Evaluate,
    prompt: Sequence[int] = (),
) -> tuple[str, int]:
    """Pick each choice as grammar-constrained greedy decoding would; the answer and its tokens.

    `prompt` is what `evaluate` has not yet seen of the prompt; the first pass takes it with the
    first fixed piece. While two options are open, each pass scores every token that would keep
    the answer on one of them (a small model often spells "killed" as "k" + "illed", so the
    options' own tokenizations are not enough). No repeat penalty: llama-cpp-python's default one
    measurably does not change grammar-constrained labels. The logits of a batch differ from
    one-token passes in the last bits, so a near-tie can fall the other way (6 of 812 labels
    over the dev sets).
    Once one option is left, the rest of it and the fixed text after it go in with the next pass.
    """
    answer: list[int] = []
    pending = [*prompt, *tokenize(plan.pieces[0].encode())]
    unseen_prompt = len(prompt)
    picked: list[str] = []
    for options, after in zip(plan.choices, plan.pieces[1:], strict=True):
        rests = {option: (option + after).encode() for option in options}
        while len(rests) > 1:
            logits = evaluate(pending)
            answer += pending[unseen_prompt:]
            pending, unseen_prompt = [], 0
            allowed = allowed_tokens(rests.values(), token_of)
            best = max(allowed, key=lambda t: float(logits[t]))
            text = allowed[best]
            rests = {o: r[len(text) :] for o, r in rests.items() if r.startswith(text)}
            pending.append(best)
        ((option, rest),) = rests.items()
        pending += tokenize(rest) if rest else []
        picked.append(option)
    answer += pending[unseen_prompt:]
    return plan.render(picked), len(answer)

"""Choice decoding: which schemas qualify, and that it picks what greedy grammar decoding would."""

from __future__ import annotations

import json
import string
from typing import Literal

import pytest
from pydantic import BaseModel

from pipeline.backends.base import LLMRequest
from pipeline.backends.choice_decoding import ChoicePlan, allowed_tokens, choice_plan, decode
from pipeline.backends.local import prefix_family
from pipeline.extract.anchored import labels_model


class Free(BaseModel):
    name: str


class Counted(BaseModel):
    colour: Literal["red", "blue"]
    count: int


class Optional_(BaseModel):
    colour: Literal["red", "blue"] = "red"


def test_the_labels_schema_is_fixed_text_around_choices() -> None:
    schema = labels_model((("killed", "other", "none"), ("none",)))
    plan = choice_plan(schema.model_json_schema(by_alias=True))
    assert plan == ChoicePlan(
        pieces=('{"labels":{"1":"', '","2":"', '"}}'),
        choices=(("killed", "other", "none"), ("none",)),
    )
    answer = plan.render(["other", "none"])
    assert json.loads(answer) == {"labels": {"1": "other", "2": "none"}}
    assert schema.model_validate_json(answer) is not None


@pytest.mark.parametrize("model", [Free, Counted, Optional_])
def test_a_schema_with_anything_else_open_keeps_the_grammar_path(model: type[BaseModel]) -> None:
    assert choice_plan(model.model_json_schema()) is None


def test_values_json_would_escape_are_not_choices() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"enum": ['say "hi"', "bye"]}},
        "required": ["a"],
    }
    assert choice_plan(schema) is None


class Model:
    """A character-level vocabulary ("k", "i", ...) plus whole words, and scripted preferences.

    `prefers` maps the answer written so far to the token text the model likes best next;
    every other token scores by how long it is, so a preference always wins.
    """

    def __init__(self, words: list[str], prefers: dict[str, str]) -> None:
        texts = sorted({*string.ascii_letters, *string.punctuation, *words, '","', '"}}', '":"'})
        self.ids = {t.encode(): i for i, t in enumerate(texts)}
        self.text = {i: t for t, i in self.ids.items()}
        self.prefers = prefers
        self.seen: list[int] = []
        self.passes = 0

    def tokenize(self, text: bytes) -> list[int]:
        # Greedy longest match, as a BPE tokenizer would spell fixed text.
        out, i = [], 0
        while i < len(text):
            j = max(k for k in range(i + 1, len(text) + 1) if text[i:k] in self.ids)
            out.append(self.ids[text[i:j]])
            i = j
        return out

    def evaluate(self, tokens: list[int]) -> list[float]:
        self.passes += 1
        self.seen += tokens
        written = b"".join(self.text[t] for t in self.seen).decode()
        liked = self.prefers.get(written)
        return [
            100.0 if liked is not None and self.text[i].decode() == liked else float(len(text))
            for i, text in sorted(self.text.items())
        ]


def run(model: Model, plan: ChoicePlan) -> tuple[str, int]:
    return decode(plan, model.tokenize, model.ids.get, model.evaluate)


def test_each_choice_is_the_models_preferred_allowed_token() -> None:
    plan = ChoicePlan(pieces=("", '","', '"}}'), choices=(("other", "none"), ("killed", "none")))
    model = Model(["other", "none", "killed"], {"": "none", 'none","': "killed"})
    answer, tokens = run(model, plan)
    assert answer == 'none","killed"}}'
    # One pass per open choice; the fixed text around them costs none of its own.
    assert model.passes == 2
    assert tokens == len(model.tokenize(answer.encode()))


def test_options_sharing_a_start_are_told_apart_where_they_part() -> None:
    plan = ChoicePlan(pieces=("", '"}}'), choices=(("killed", "killed_or_wounded", "none"),))
    # The model spells "killed" letter by letter, then prefers "_" to the closing quote.
    prefers = {"": "k", "k": "illed", "killed": "_"}
    model = Model(["killed", "killed_or_wounded", "none", "illed", "or_wounded"], prefers)
    answer, _ = run(model, plan)
    assert answer == 'killed_or_wounded"}}'
    # "k", "illed", "_": after "_" one option is left, and its rest is fixed text.
    assert model.passes == 3


def test_the_closing_quote_settles_the_shorter_option() -> None:
    plan = ChoicePlan(pieces=("", '"}}'), choices=(("killed", "killed_or_wounded"),))
    model = Model(["killed", "killed_or_wounded"], {"": "killed", "killed": '"}}'})
    assert run(model, plan)[0] == 'killed"}}'


def test_a_single_option_needs_no_pass() -> None:
    plan = ChoicePlan(pieces=('{"a":"', '"}'), choices=(("none",),))
    model = Model(["none"], {})
    assert run(model, plan) == ('{"a":"none"}', len(model.tokenize(b'{"a":"none"}')))
    assert model.passes == 0


def test_allowed_tokens_are_every_vocabulary_prefix_of_an_option() -> None:
    vocab = {b"k": 1, b"kil": 2, b"killed": 3, b"n": 4, b"none": 5, b"x": 6}
    allowed = allowed_tokens([b'killed"', b'none"'], vocab.get)
    assert set(allowed) == {1, 2, 3, 4, 5}
    assert allowed[2] == b"kil"


def _request(system: str, user: str) -> LLMRequest:
    return LLMRequest(
        messages=[{"role": "system", "content": system}, {"role": "user", "content": user}],
        response_model=Free,
        prompt_name="anchored_label",
        prompt_version="10",
        schema_version="1",
    )


def test_a_saved_prompt_prefix_is_kept_per_topic_not_per_prompt_version() -> None:
    war, flood = "Topic: the war.", "Topic: floods."
    assert prefix_family(_request(war, "a")) == prefix_family(_request(war, "b"))
    assert prefix_family(_request(war, "a")) != prefix_family(_request(flood, "a"))

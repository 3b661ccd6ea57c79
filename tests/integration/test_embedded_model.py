"""The real embedded model: grammar-constrained JSON, and the pipeline end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import llama_cpp
import pytest
from pydantic import BaseModel

from pipeline.backends.base import LLMRequest, LLMResult
from pipeline.backends.instructed import ResponseFormat
from pipeline.backends.local import LocalBackend
from pipeline.backends.openai_compat import OpenAIBackend
from pipeline.extract.anchored import AnchoredStrategy
from pipeline.run import BatchRunner, RunOptions
from pipeline.store.db import open_db
from pipeline.topic import load_topic

ROOT = Path(__file__).resolve().parents[2]

ARTICLE = (
    "Ukraine's military intelligence agency said about 30 North Korean troops were killed or "
    "wounded in Kursk at the weekend.\n"
    "In 2024, the US said North Korea had sent 11,000 soldiers to Russia, a 19-year-old among them."
)


class Odd(BaseModel):
    """Key names and values no model would write unprompted: only a grammar produces them."""

    zq_colour: Literal["ultramarine", "vermilion"]
    kx_count: int


def odd_request() -> LLMRequest:
    return LLMRequest(
        messages=[{"role": "user", "content": "Write a short poem about the sea."}],
        response_model=Odd,
        prompt_name="grammar-test",
        prompt_version="1",
        schema_version="1",
        max_tokens=48,
    )


def test_local_grammar_forces_schema_output(local_backend: LocalBackend) -> None:
    result = local_backend.complete(odd_request())
    assert result.error is None
    assert result.parsed is not None
    assert result.parsed.model_dump()["zq_colour"] in ("ultramarine", "vermilion")
    raw = result.records[-1].response_raw or ""
    assert raw.lstrip().startswith("{") and "zq_colour" in raw


def test_server_grammar_forces_schema_output(llama_server: str) -> None:
    backend = OpenAIBackend(
        "qwen", base_url=llama_server, api_key="x", response_format=ResponseFormat.llamacpp
    )
    result = backend.complete(odd_request())
    assert result.parsed is not None, result.error
    assert "zq_colour" in (result.records[-1].response_raw or "")


def _run(tmp_path: Path, backend: LocalBackend | OpenAIBackend) -> list[tuple[object, ...]]:
    article = tmp_path / "articles" / "a.txt"
    article.parent.mkdir()
    article.write_text(ARTICLE, encoding="utf-8")
    db = open_db(tmp_path / "x.duckdb")
    summary = BatchRunner(db, backend, RunOptions()).run([article.parent])
    assert summary.counts.n_documents == 1 and summary.counts.n_failed == 0
    rows = db.con.execute(
        "SELECT c.metric, c.value, c.status, k.passed FROM claims c "
        "JOIN checks k ON k.claim_id = c.claim_id AND k.name = 'numbers_in_span'"
    ).fetchall()
    backends = {r[0] for r in db.con.execute("SELECT backend FROM llm_calls").fetchall()}
    assert backends == {backend.name}
    db.close()
    # Years and ages are never sent as claims; every stored claim's number is in its span.
    assert all(value not in (2024, 19) for _, value, _, _ in rows)
    assert all(passed for _, _, status, passed in rows if status == "verified")
    return rows


def test_pipeline_with_embedded_model(tmp_path: Path, local_backend: LocalBackend) -> None:
    rows = _run(tmp_path, local_backend)
    found = {(metric, value) for metric, value, status, _ in rows if status == "verified"}
    assert ("killed_or_wounded", 30) in found
    assert ("deployed", 11000) in found


@pytest.mark.parametrize("fmt", [ResponseFormat.llamacpp])
def test_pipeline_through_llama_cpp_server(
    tmp_path: Path, llama_server: str, fmt: ResponseFormat
) -> None:
    backend = OpenAIBackend("qwen", base_url=llama_server, api_key="x", response_format=fmt)
    rows = _run(tmp_path, backend)
    assert any(status == "verified" for _, _, status, _ in rows)


def test_a_new_process_reuses_the_saved_prompt_prefix(model_path: Path, tmp_path: Path) -> None:
    shared = "You answer in JSON. " + " ".join(f"Rule {i}: keep keys short." for i in range(40))

    def ask(backend: LocalBackend, question: str) -> tuple[int, LLMRequest]:
        request = LLMRequest(
            messages=[
                {"role": "system", "content": shared},
                {"role": "user", "content": question},
            ],
            response_model=Odd,
            prompt_name="prefix-test",
            prompt_version="1",
            schema_version="1",
            max_tokens=32,
        )
        result = backend.complete(request)
        assert result.parsed is not None, result.error
        return llama_cpp.llama_perf_context(backend.llm.ctx).n_p_eval, request

    states = tmp_path / "states"
    first_eval, _ = ask(LocalBackend(str(model_path), states_dir=states), "Colour of the sea?")
    assert len(list(states.glob("*.llstate"))) == 1
    # A second backend is a second process as far as llama.cpp knows: an empty KV cache.
    fresh = LocalBackend(str(model_path), states_dir=states)
    second_eval, _ = ask(fresh, "Colour of blood?")
    assert first_eval > 300  # the whole prompt was read
    assert second_eval < 40  # only the new question was


def test_choice_decoding_labels_as_grammar_decoding_does(local_backend: LocalBackend) -> None:
    """The fast path for the anchored labels writes what the grammar path would have written."""
    topic = load_topic("ukraine_dprk")
    articles = sorted((ROOT / "data" / "articles").glob("*.txt"))[:3]

    def answers(choice: bool) -> tuple[list[str], int]:
        local_backend.choice_decoding = choice
        before = llama_cpp.llama_perf_context(local_backend.llm.ctx).n_eval
        raws: list[str] = []
        for path in articles:
            spy = _Answers(local_backend)
            AnchoredStrategy(spy, topic).extract(path.read_text(encoding="utf-8"))
            raws += spy.raws
        return raws, llama_cpp.llama_perf_context(local_backend.llm.ctx).n_eval - before

    try:
        by_grammar, grammar_passes = answers(choice=False)
        by_choice, choice_passes = answers(choice=True)
    finally:
        local_backend.choice_decoding = True
    assert len(by_grammar) >= 3
    assert by_choice == by_grammar
    # Generated tokens are forward passes of one token each; choices need far fewer passes.
    assert choice_passes < grammar_passes / 3


class _Answers:
    """A backend that passes requests on and keeps each answer's raw text."""

    def __init__(self, inner: LocalBackend) -> None:
        self.inner = inner
        self.name, self.model, self.max_concurrency = inner.name, inner.model, 1
        self.raws: list[str] = []

    def identity(self) -> dict[str, object]:
        return self.inner.identity()

    def complete(self, request: LLMRequest) -> LLMResult:
        result = self.inner.complete(request)
        assert result.parsed is not None, result.error
        self.raws.append(result.records[-1].response_raw or "")
        return result

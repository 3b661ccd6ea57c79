"""The shared instructor path, exercised through the fake backend."""

from __future__ import annotations

import json

import openai
import pytest
from pydantic import BaseModel, field_validator

from pipeline.backends.base import LLMRequest, LLMResult
from pipeline.backends.cached import CachedBackend, request_hash
from pipeline.backends.call_log import CallLog
from pipeline.backends.fake import FakeBackend, FakeReply, echo_responder
from pipeline.backends.instructed import ResponseFormat, adapt_response_format, is_transient
from pipeline.backends.registry import create_backend
from pipeline.store.db import Database

try:  # openai 3 moved to httpx2; openai 2 uses httpx
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]


class Answer(BaseModel):
    count: int
    unit: str

    @field_validator("count")
    @classmethod
    def positive(cls, v: int) -> int:
        if v <= 0:
            raise ValueError("count must be positive")
        return v


def request(**overrides: object) -> LLMRequest:
    base: dict[str, object] = {
        "messages": [{"role": "user", "content": "How many?"}],
        "response_model": Answer,
        "prompt_name": "test",
        "prompt_version": "1",
        "schema_version": "1",
        "max_tokens": 64,
    }
    base.update(overrides)
    return LLMRequest(**base)  # type: ignore[arg-type]


def dump(result: LLMResult) -> dict[str, object] | None:
    return result.parsed.model_dump() if result.parsed is not None else None


def _api_error(status: int) -> openai.APIStatusError:
    req = httpx.Request("POST", "http://x/v1/chat/completions")
    return openai.APIStatusError("boom", response=httpx.Response(status, request=req), body=None)


def test_llamacpp_format_sends_json_object_with_schema() -> None:
    fake = FakeBackend(['{"count": 3, "unit": "troops"}'], response_format=ResponseFormat.llamacpp)
    result = fake.complete(request())
    assert dump(result) == {"count": 3, "unit": "troops"}
    sent = fake.calls[0]["response_format"]
    assert sent["type"] == "json_object"
    assert sent["schema"]["properties"]["count"]["type"] == "integer"


def test_json_schema_format_is_left_as_openai_expects() -> None:
    kwargs = {
        "response_format": {"type": "json_schema", "json_schema": {"name": "A", "schema": {}}}
    }
    assert adapt_response_format(kwargs, ResponseFormat.json_schema) == kwargs


def test_json_object_format_moves_schema_into_the_prompt() -> None:
    kwargs = {
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "A", "schema": {"x": 1}},
        },
    }
    out = adapt_response_format(kwargs, ResponseFormat.json_object)
    assert out["response_format"] == {"type": "json_object"}
    assert '{"x": 1}' in out["messages"][0]["content"]
    assert out["messages"][1] == {"role": "user", "content": "hi"}


def test_validation_error_is_reasked_with_the_error() -> None:
    fake = FakeBackend(['{"count": -2, "unit": "troops"}', '{"count": 2, "unit": "troops"}'])
    result = fake.complete(request())
    assert dump(result) == {"count": 2, "unit": "troops"}
    assert [r.status for r in result.records] == ["invalid", "ok"]
    reask = fake.calls[1]["messages"]
    assert any("count must be positive" in str(m.get("content")) for m in reask)


def test_reasks_are_bounded_and_failure_is_reported_not_raised() -> None:
    fake = FakeBackend(['{"count": -1, "unit": "a"}'] * 2)
    result = fake.complete(request(max_reasks=1))
    assert result.parsed is None
    assert "count must be positive" in (result.error or "")
    assert len(fake.calls) == 2
    assert all(r.status == "invalid" for r in result.records)


def test_malformed_json_is_reasked() -> None:
    fake = FakeBackend(['{"count": 2, "unit": ', '{"count": 2, "unit": "x"}'])
    assert dump(fake.complete(request())) == {"count": 2, "unit": "x"}


def test_truncated_answer_is_a_clear_error() -> None:
    fake = FakeBackend([FakeReply('{"count": 2, "un', finish_reason="length")])
    result = fake.complete(request())
    assert result.parsed is None
    assert "cut off at max_tokens=64" in (result.error or "")


@pytest.mark.parametrize(
    "exc",
    [
        openai.APITimeoutError(httpx.Request("POST", "http://x")),
        _api_error(503),
        _api_error(429),
        ConnectionResetError("reset"),
    ],
)
def test_transient_errors_are_retried(exc: BaseException) -> None:
    fake = FakeBackend([exc, '{"count": 1, "unit": "x"}'])
    result = fake.complete(request())
    assert dump(result) == {"count": 1, "unit": "x"}
    assert [r.status for r in result.records] == ["error", "ok"]


def test_permanent_errors_are_not_retried() -> None:
    assert not is_transient(_api_error(400))
    fake = FakeBackend([_api_error(400), '{"count": 1, "unit": "x"}'])
    result = fake.complete(request())
    assert result.parsed is None
    assert len(fake.calls) == 1
    assert "APIStatusError" in (result.error or "")


def test_transient_retries_are_bounded() -> None:
    fake = FakeBackend([_api_error(500)] * 5)
    result = fake.complete(request())
    assert result.parsed is None
    assert len(fake.calls) == 3  # the fake's max_retries (2) + 1


def test_every_call_is_logged_and_the_log_is_the_cache(db: Database) -> None:
    fake = FakeBackend(['{"count": -1, "unit": "a"}', '{"count": 4, "unit": "a"}'])
    cached = CachedBackend(fake, CallLog(db, run_id="r1"))
    first = cached.complete(request())
    second = cached.complete(request())
    assert dump(first) == dump(second) == {"count": 4, "unit": "a"}
    assert not first.cached and second.cached
    assert len(fake.calls) == 2  # the second request never reached the model
    rows = db.con.execute(
        "SELECT attempt, status, backend, model, prompt_name, schema_name, prompt_tokens, "
        "completion_tokens, latency_ms IS NOT NULL, request_hash, run_id FROM llm_calls "
        "ORDER BY attempt"
    ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, "invalid"), (2, "ok")]
    assert rows[1][2:6] == ("fake", "fake", "test", "Answer")
    assert rows[1][6] > 0 and rows[1][7] > 0 and rows[1][8]
    assert rows[1][9] == first.request_hash and rows[1][10] == "r1"
    parsed = db.con.execute("SELECT parsed FROM llm_calls WHERE status = 'ok'").fetchone()
    assert json.loads(parsed[0]) == {"count": 4, "unit": "a"}


def test_a_cache_hit_replays_the_answers_that_failed_validation(db: Database) -> None:
    bad, good = '{"count": -1, "unit": "a"}', '{"count": 4, "unit": "a"}'
    fake = FakeBackend([bad, good])
    cached = CachedBackend(fake, CallLog(db))
    first = cached.complete(request())
    second = cached.complete(request())
    assert not first.cached and first.invalid_answers == [bad]
    assert second.cached and second.invalid_answers == [bad]
    assert second.prompt_tokens == 0  # a replay costs nothing and counts nothing


def test_no_cache_calls_the_model_again(db: Database) -> None:
    fake = FakeBackend(['{"count": 1, "unit": "a"}', '{"count": 1, "unit": "a"}'])
    log = CallLog(db)
    CachedBackend(fake, log).complete(request())
    again = CachedBackend(fake, log, use_cache=False).complete(request())
    assert not again.cached and len(fake.calls) == 2


def test_request_hash_depends_on_everything_that_decides_the_answer() -> None:
    fake = FakeBackend([])
    base = request_hash(fake, request())
    assert base == request_hash(fake, request())
    assert base != request_hash(fake, request(max_tokens=65))
    assert base != request_hash(fake, request(prompt_version="2"))
    assert base != request_hash(fake, request(messages=[{"role": "user", "content": "x"}]))
    assert base != request_hash(FakeBackend([], model="other"), request())


def test_registry_builds_fake_and_rejects_unknown() -> None:
    backend = create_backend("fake")
    assert backend.name == "fake"
    with pytest.raises(Exception, match="unknown --model"):
        create_backend("gpt4")


def test_openai_backend_needs_a_key_or_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(Exception, match="OPENAI_API_KEY"):
        create_backend("openai:gpt-4o-mini")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    backend = create_backend("openai:qwen", response_format="llamacpp")
    assert backend.identity()["host"] == "127.0.0.1:9"
    assert backend.identity()["response_format"] == "llamacpp"


def test_echo_responder_labels_every_listed_mention() -> None:
    answer = json.loads(
        echo_responder([{"role": "user", "content": "x\n[1] 3 in: a\n[2] 4 in: b"}])
    )
    assert answer["labels"] == {"1": "other", "2": "other"}

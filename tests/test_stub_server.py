"""The OpenAI-compatible route end to end, over real loopback HTTP, against bench's stub server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai._utils import maybe_transform
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

from bench.stub_server import StubServer, answer_for
from pipeline.backends.fake import FakeBackend, echo_responder
from pipeline.backends.instructed import ResponseFormat
from pipeline.backends.registry import create_backend
from pipeline.extract import create_strategy
from pipeline.extract.anchored import labels_model
from pipeline.grounding import claim_checker
from pipeline.run import BatchRunner, RunOptions, RunSummary
from pipeline.store.db import Database, open_db
from pipeline.topic import load_topic
from schemas.claims import ClaimList
from tests.batch_inputs import write_articles


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubServer]:
    server = StubServer(delay_s=0)
    base_url = server.start()
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "stub")  # never a real key, even to loopback
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "stub.duckdb")
    yield database
    database.close()


def run_stub(store: Database, folder: Path, strategy: str, concurrency: int = 1) -> RunSummary:
    backend = create_backend("openai:stub")
    options = RunOptions(strategy=strategy, use_cache=False, concurrency=concurrency)
    return BatchRunner(store, backend, options).run([folder])


@pytest.mark.parametrize("response_format", ["llamacpp", "json_schema", "json_object"])
def test_anchored_run_through_the_stub_stores_verified_claims_and_logs_openai_calls(
    stub: StubServer,
    store: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    response_format: str,
) -> None:
    monkeypatch.setenv("SPANFACT_RESPONSE_FORMAT", response_format)
    write_articles(tmp_path / "in", 4)

    summary = run_stub(store, tmp_path / "in", "anchored")

    counts = summary.counts
    assert (counts.n_documents, counts.n_failed, counts.n_claims) == (4, 0, 4)
    facts = store.read("SELECT metric, value FROM facts ORDER BY value")
    assert facts == [("killed", 100 + i) for i in range(4)]
    calls = store.read(
        "SELECT backend, model, status, prompt_tokens > 0, completion_tokens > 0 FROM llm_calls"
    )
    assert calls == [("openai", "stub", "ok", True, True)] * 4
    assert stub.stats.requests == 4 and stub.stats.errors == 0


def test_whole_run_through_the_stub_is_done_with_no_claims(
    stub: StubServer, store: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPANFACT_RESPONSE_FORMAT", "json_schema")
    write_articles(tmp_path / "in", 2)

    summary = run_stub(store, tmp_path / "in", "whole")

    assert (summary.counts.n_documents, summary.counts.n_claims) == (2, 0)
    calls = store.read("SELECT backend, parsed FROM llm_calls")
    assert [(backend, json.loads(parsed)) for backend, parsed in calls] == [
        ("openai", {"claims": []})
    ] * 2


def test_concurrent_requests_reach_the_stub_in_parallel(
    store: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_articles(tmp_path / "in", 8)
    with StubServer(delay_s=0.1) as base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "stub")
        monkeypatch.setenv("SPANFACT_RESPONSE_FORMAT", "llamacpp")
        summary = run_stub(store, tmp_path / "in", "anchored", concurrency=4)
    assert (summary.counts.n_documents, summary.counts.n_claims) == (8, 8)
    assert store.read("SELECT count(*) FROM llm_calls WHERE backend = 'openai'") == [(8,)]


def test_the_stub_fills_each_schema_it_is_given() -> None:
    options = (("killed", "other", "none"), ("captured", "other", "none"), ("none",))
    schema = labels_model(options).model_json_schema()
    answer = answer_for(schema)
    assert answer["labels"] == {"1": "killed", "2": "captured", "3": "none"}
    labels_model(options).model_validate(answer)
    assert answer_for(ClaimList.model_json_schema()) == {"claims": []}


def test_the_stub_refuses_a_request_without_a_schema(stub: StubServer) -> None:
    body = json.dumps({"model": "stub", "messages": [{"role": "user", "content": "hi"}]})
    request = urllib.request.Request(
        stub.base_url + "/chat/completions",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert "no JSON schema" in json.loads(refused.value.read())["error"]["message"]


@pytest.mark.parametrize("fmt", list(ResponseFormat))
@pytest.mark.parametrize("strategy", ["anchored", "whole"])
def test_the_posted_request_is_what_the_sdks_create_would_send(
    fmt: ResponseFormat, strategy: str
) -> None:
    # OpenAIBackend skips the SDK's typed-dict transform (bench/README.md); that is only safe
    # while the transform leaves spanfact's requests as they are.
    fake = FakeBackend(echo_responder, response_format=fmt)
    fake._extra_params = {"seed": 0}  # what OpenAIBackend adds
    topic = load_topic()
    create_strategy(strategy, fake, topic, check=claim_checker(topic)).extract(
        "Ukraine's army said 300 Russian soldiers were killed near Kursk, and 40 were captured."
    )
    sent = fake.calls[0]
    assert maybe_transform(sent, CompletionCreateParamsNonStreaming) == sent

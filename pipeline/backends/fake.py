"""A scripted model for tests: answers go through the same instructor path as real ones.

A `FakeBackend` is given either a list of replies (consumed in order) or a function from the
request's messages to a reply. A reply is a string (the model's text), a `FakeReply` (text plus
finish reason, e.g. "length" for a truncated answer), or an exception to raise (e.g. a timeout).
Every call's keyword arguments are kept in `calls`, so tests can see what a server would receive.

A test seam, not a model: `--model fake` (see `registry`) answers with `echo_responder`, which
labels every number it is shown `other`, so the CLI and a whole batch run can be tested end to end
without a model file or a network. `SPANFACT_FAKE_DELAY` (seconds per call) makes it as slow as a
model, so tests can kill or interrupt a real `spanfact run` process mid-document
(tests/test_crash.py); nothing outside the tests should set it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openai.types.chat import ChatCompletion

from pipeline.backends.instructed import InstructedBackend, ResponseFormat, chat_completion


@dataclass(frozen=True)
class FakeReply:
    content: str
    finish_reason: str = "stop"


Reply = str | FakeReply | BaseException
Responder = Callable[[list[dict[str, Any]]], Reply]


class FakeBackend(InstructedBackend):
    def __init__(
        self,
        replies: Sequence[Reply] | Responder,
        *,
        model: str = "fake",
        response_format: ResponseFormat = ResponseFormat.llamacpp,
        delay_s: float = 0.0,
        max_concurrency: int = 1,
    ) -> None:
        self.calls: list[dict[str, Any]] = []
        self._script_lock = threading.Lock()
        if callable(replies):
            responder: Responder = replies
        else:
            queue = list(replies)

            def responder(messages: list[dict[str, Any]]) -> Reply:
                if not queue:
                    raise AssertionError("FakeBackend ran out of scripted replies")
                return queue.pop(0)

        def create(**kwargs: Any) -> ChatCompletion:
            with self._script_lock:
                self.calls.append(kwargs)
                reply = responder(kwargs["messages"])
            if delay_s:
                time.sleep(delay_s)
            if isinstance(reply, BaseException):
                raise reply
            if isinstance(reply, str):
                reply = FakeReply(reply)
            prompt_tokens = sum(len(str(m.get("content", ""))) for m in kwargs["messages"]) // 4
            return chat_completion(
                reply.content,
                model,
                prompt_tokens,
                max(1, len(reply.content) // 4),
                reply.finish_reason,
            )

        super().__init__(
            name="fake",
            model=model,
            create=create,
            response_format=response_format,
            max_concurrency=max_concurrency,
            max_retries=2,
            max_wait_s=0.05,
        )


_MENTION_LINE = re.compile(r"^\s*\[(\d+)\]", re.MULTILINE)


def echo_responder(messages: list[dict[str, Any]]) -> str:
    """Answers any spanfact request without judgement, for `--model fake` smoke runs.

    Labels every listed mention `other` (anchored prompts list mentions as `[id] ...` lines in the
    last user message) and finds no claims in whole-article requests.
    """
    last = str(messages[-1].get("content", "")) if messages else ""
    ids = [int(m) for m in _MENTION_LINE.findall(last)]
    if ids:
        return json.dumps({"labels": {str(i): "other" for i in ids}})
    return json.dumps({"claims": []})

"""How fast llama.cpp reads a prompt and writes tokens on this machine, with the embedded model.

Every other figure of the embedded model follows from these two rates: a call costs the prompt
tokens not already in the KV cache divided by the first, plus the answer's tokens divided by the
second.

    python -m bench.throughput
    python -m bench.throughput --prompt-tokens 1000 --threads 1
"""

from __future__ import annotations

import argparse
import os
import time

from pipeline.backends.model_files import resolve_model_path

FILLER = "North Korean troops were deployed to the Kursk region, officials said on Monday. "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a GGUF file (default: the packaged model)")
    parser.add_argument("--prompt-tokens", type=int, default=500)
    parser.add_argument("--generate", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()

    from llama_cpp import Llama

    path = resolve_model_path(args.model)
    started = time.perf_counter()
    llm = Llama(
        model_path=str(path),
        n_ctx=args.prompt_tokens + args.generate + 16,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        seed=0,
        verbose=False,
    )
    print(f"{path.name}: loaded in {time.perf_counter() - started:.1f} s, {args.threads} threads")

    text = FILLER * (args.prompt_tokens // 10 + 1)
    tokens = llm.tokenize(text.encode("utf-8"))[: args.prompt_tokens]
    started = time.perf_counter()
    llm.eval(tokens)
    read = time.perf_counter() - started
    print(f"prompt: {len(tokens)} tokens in {read:.1f} s = {len(tokens) / read:.1f} tok/s")

    started = time.perf_counter()
    n = 0
    # The prompt is in the KV cache already: generate() only samples after it.
    for _ in llm.generate(tokens, temp=0.0):
        n += 1
        if n >= args.generate:
            break
    wrote = time.perf_counter() - started
    print(f"generation: {n} tokens in {wrote:.1f} s = {n / wrote:.1f} tok/s")


if __name__ == "__main__":
    main()

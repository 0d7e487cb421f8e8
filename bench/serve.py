"""Throughput of our model server vs plain batched HF ``model.generate``, side by side.

The same agent-like chat requests (~300-token prompts sharing a long schema prefix,
64 new tokens, sampling at temperature 0.7 / top-p 0.95, EOS ignored so every request
makes exactly 64 tokens) at 1, 4, 8, 16 concurrent clients: through `agl-ops serve`
(a subprocess, HTTP, continuous batching, prefix reuse, dtype auto = bf16 here), and
through HF generate on the same model (fp32, left-padded batches of the same size,
prompts of a batch generated together). Throughput = completion tokens / wall time.

    python bench/serve.py [--quick] [--dtype auto|float32|bfloat16] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Both sides (the server subprocess inherits it): on a shared 2-core VM, OpenMP threads that
# spin-wait collapse when other processes run (HF generate fell from ~9 to ~1 tok/s here).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SCHEMA = """CREATE TABLE singer (singer_id INTEGER PRIMARY KEY, name TEXT, country TEXT, song_name TEXT,
  song_release_year TEXT, age INTEGER, is_male BOOLEAN);
CREATE TABLE concert (concert_id INTEGER PRIMARY KEY, concert_name TEXT, theme TEXT, stadium_id INTEGER,
  year TEXT, FOREIGN KEY (stadium_id) REFERENCES stadium(stadium_id));
CREATE TABLE stadium (stadium_id INTEGER PRIMARY KEY, location TEXT, name TEXT, capacity INTEGER,
  highest INTEGER, lowest INTEGER, average INTEGER);
CREATE TABLE singer_in_concert (concert_id INTEGER, singer_id TEXT, PRIMARY KEY (concert_id, singer_id));
Example rows of singer: (1, 'Joe Sharp', 'Netherlands', 'You', '1992', 52, 'F'), (2, 'Timbaland', 'United States',
'Dangerous', '2008', 32, 'T'). Example rows of stadium: (1, 'Raith Rovers', "Stark's Park", 10104, 4812, 1294, 2106)."""

SYSTEM = ("You are an expert SQLite assistant. Given the database schema below, write one SQLite query that answers "
          "the user's question. Use only tables and columns that exist. Answer with the query in a ```sql block.\n\n"
          + SCHEMA)

QUESTIONS = [
    "How many singers do we have?", "What is the average, minimum and maximum age of French singers?",
    "List the names of stadiums with capacity over 5000, sorted by capacity.",
    "Show the name and release year of the song by the youngest singer.",
    "Which countries have singers older than 40? List each country once.",
    "How many concerts took place in 2014 or 2015?", "What is the name of the stadium with the highest average?",
    "For each stadium, how many concerts were held there? Show the stadium name and the count.",
    "List the names of singers who performed in a concert in 2014.",
    "Which stadiums never hosted a concert?", "What is the total capacity of all stadiums?",
    "Show the names of male singers ordered by age, oldest first.",
    "Find the concert names and themes of concerts held at the largest stadium.",
    "How many singers are from each country?", "What is the most common theme of concerts?",
    "List singer names together with the number of concerts they sang in.",
]


def _requests(tokenizer, n: int) -> tuple[list[list[dict]], list[list[int]]]:
    msgs = [[{"role": "system", "content": SYSTEM},
             {"role": "user", "content": f"Question {i + 1}: {QUESTIONS[i % len(QUESTIONS)]} Think about which "
                                         f"tables are needed before writing the query."}] for i in range(n)]
    ids = [list(tokenizer.apply_chat_template(m, add_generation_prompt=True, tokenize=True, return_dict=False))
           for m in msgs]
    return msgs, ids


async def _ours(url: str, msgs: list[list[dict]], concurrency: int, new_tokens: int) -> tuple[int, float]:
    import aiohttp

    queue: asyncio.Queue[list[dict]] = asyncio.Queue()
    for m in msgs:
        queue.put_nowait(m)
    total = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal total
        while not queue.empty():
            m = queue.get_nowait()
            body = {"model": "bench", "messages": m, "max_tokens": new_tokens, "temperature": 0.7, "top_p": 0.95,
                    "ignore_eos": True}
            async with session.post(f"{url}/v1/chat/completions", json=body) as r:
                data = await r.json()
                if r.status != 200:
                    raise RuntimeError(f"server error: {data}")
                total += data["usage"]["completion_tokens"]

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return total, time.perf_counter() - start


def _hf(model, ids: list[list[int]], batch: int, new_tokens: int, pad_id: int) -> tuple[int, float]:
    import torch

    total = 0
    start = time.perf_counter()
    for i in range(0, len(ids), batch):
        group = ids[i:i + batch]
        width = max(len(x) for x in group)
        input_ids = torch.tensor([[pad_id] * (width - len(x)) + x for x in group])
        mask = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in group])
        with torch.inference_mode():
            out = model.generate(input_ids=input_ids, attention_mask=mask, do_sample=True, temperature=0.7, top_p=0.95,
                                 max_new_tokens=new_tokens, min_new_tokens=new_tokens, pad_token_id=pad_id)
        total += (out.shape[1] - width) * len(group)
    return total, time.perf_counter() - start


def _hf_generate_batch(model, ids: list[list[int]], new_tokens: int, pad_id: int) -> tuple[int, float]:
    """transformers' own continuous batching (``generate_batch``), all requests at once."""
    from transformers import ContinuousBatchingConfig, GenerationConfig

    config = GenerationConfig(max_new_tokens=new_tokens, do_sample=True, temperature=0.7, top_p=0.95,
                              eos_token_id=None, pad_token_id=pad_id)
    start = time.perf_counter()
    out = model.generate_batch(ids, generation_config=config, progress_bar=False, warmup=False,
                               continuous_batching_config=ContinuousBatchingConfig(return_logprobs=True))
    return sum(len(o.generated_tokens) for o in out.values()), time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="8 requests, 32 new tokens, levels 1 and 8 (about a minute)")
    ap.add_argument("--model", default=str(ROOT / "models" / "base"), help="model directory (prepared if it is models/base and missing)")
    ap.add_argument("--dtype", default="auto", help="our server's dtype (HF generate stays fp32, the reference)")
    ap.add_argument("--levels", default="1,4,8,16")
    ap.add_argument("--requests", type=int, default=16, help="requests per level (level 1 uses --single-requests)")
    ap.add_argument("--single-requests", type=int, default=4)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=None, help="torch threads on both sides (default: torch's)")
    ap.add_argument("--no-hf", action="store_true", help="skip the HF generate side")
    ap.add_argument("--generate-batch", action="store_true",
                    help="also time transformers' generate_batch (continuous batching) on all requests")
    ap.add_argument("--write-docs", action="store_true", help="append the table to docs/benchmarks.md")
    args = ap.parse_args()
    if args.quick:
        args.levels, args.requests, args.single_requests, args.new_tokens = "1,8", 8, 2, 32
    levels = [int(x) for x in args.levels.split(",")]

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if args.threads:
        torch.set_num_threads(args.threads)

    from agl_ops.llm.client import ModelServerProcess
    from agl_ops.llm.prepare import check_model_dir, prepare_model

    model_dir = Path(args.model)
    if not model_dir.exists() and model_dir == ROOT / "models" / "base":
        prepare_model(None, model_dir)
    check_model_dir(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    msgs, ids = _requests(tokenizer, args.requests)
    print(f"{args.requests} requests, prompts {min(map(len, ids))}-{max(map(len, ids))} tokens "
          f"(shared prefix), {args.new_tokens} new tokens, temperature 0.7, top_p 0.95; torch threads "
          f"{torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")

    model = None
    if not args.no_hf:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        _hf(model, ids[:1], 1, 4, pad)  # warm-up
    ours: dict[int, float] = {}
    hf: dict[int, float] = {}
    server_args = ["--dtype", args.dtype, "--served-model-name", "bench"]
    if args.threads:
        server_args += ["--threads", str(args.threads)]
    with ModelServerProcess(model_dir, extra_args=server_args, startup_timeout_s=300) as server:
        import httpx

        health = httpx.get(f"{server.url}/health").json()
        asyncio.run(_ours(server.url, msgs[:1], 1, 4))  # warm-up
        for c in levels:  # interleaved, so both sides see the same machine load
            n = args.single_requests if c == 1 else len(msgs)
            tokens, secs = asyncio.run(_ours(server.url, msgs[:n], c, args.new_tokens))
            ours[c] = tokens / secs
            print(f"ours  concurrency {c:>2}: {tokens} tokens in {secs:6.2f}s = {ours[c]:7.1f} tok/s")
            if model is not None:
                tokens, secs = _hf(model, ids[:n], c, args.new_tokens, pad)
                hf[c] = tokens / secs
                print(f"HF    batch       {c:>2}: {tokens} tokens in {secs:6.2f}s = {hf[c]:7.1f} tok/s")
        stats = httpx.get(f"{server.url}/admin/stats").json()
    if args.generate_batch and model is not None:
        tokens, secs = _hf_generate_batch(model, ids, args.new_tokens, pad)
        hf["generate_batch"] = tokens / secs
        print(f"HF generate_batch, {len(ids)} requests: {tokens} tokens in {secs:6.2f}s = {tokens / secs:7.1f} tok/s")
    print(f"server dtype {health['dtype']}; decode batch sizes used: {stats['batch_sizes']}; prompt tokens "
          f"reused from the prefix cache: {stats['cached_prompt_tokens']} of "
          f"{stats['cached_prompt_tokens'] + stats['prefill_tokens']}")

    print("\n| concurrency | ours tok/s | HF generate tok/s | ours / HF |\n|---|---|---|---|")
    for c in levels:
        ratio = f"{ours[c] / hf[c]:.1f}x" if c in hf else "-"
        print(f"| {c} | {ours[c]:.1f} | {hf.get(c, float('nan')):.1f} | {ratio} |")
    top = max(levels)
    mid = 8 if 8 in levels else top
    batch_ratio = ours[mid] / ours[1]
    if args.write_docs:
        _write_docs(args, levels, ours, hf, health, stats, batch_ratio)
    if top in hf:
        print(f"serve_vs_hf_generate_{top}: {ours[top] / hf[top]:.1f}x (target: >= 2x)")
    print(f"serve_batch{mid}_vs_single: {batch_ratio:.1f}x (target: >= 4x)")


def _write_docs(args, levels, ours, hf, health, stats, batch_ratio) -> None:  # noqa: ANN001
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    rows = "".join(f"| {c} | {ours[c]:.1f} | {hf[c]:.1f} | {ours[c] / hf[c]:.1f}x |\n" if c in hf else
                   f"| {c} | {ours[c]:.1f} | - | - |\n" for c in levels)
    text += (f"\n## Model server (bench/serve.py{' --quick' if args.quick else ''}) — {time.strftime('%Y-%m-%d')}, "
             f"{platform.machine()}, {os.cpu_count()} cores, CPU only\n\n"
             f"{args.requests} chat requests (~300-token prompts sharing a schema prefix), {args.new_tokens} new tokens, "
             f"temperature 0.7, top-p 0.95. Ours: `agl-ops serve` over HTTP, dtype {health['dtype']}; HF: "
             f"`model.generate` fp32, left-padded batches. Level 1 runs {args.single_requests} requests one by one.\n\n"
             f"| concurrency | ours tok/s | HF generate tok/s | ours / HF |\n|---|---|---|---|\n{rows}\n"
             f"Decode batch sizes used: {stats['batch_sizes']}; prompt tokens reused from the prefix cache: "
             f"{stats['cached_prompt_tokens']} of {stats['cached_prompt_tokens'] + stats['prefill_tokens']}.\n"
             + (f"transformers' own continuous batching (`generate_batch`, fp32, {args.requests} requests at once): "
                f"{hf['generate_batch']:.1f} tok/s.\n" if "generate_batch" in hf else "")
             + f"serve_batch8_vs_single: {batch_ratio:.1f}x\n")
    doc.write_text(text)


if __name__ == "__main__":
    main()

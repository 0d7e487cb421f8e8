"""Grammar-constrained decoding libraries compared on our SQL grammars: xgrammar vs llguidance.

For each library, in its own process (so memory is its own): tokenizer setup with the
real SmolLM2 tokenizer (vocab 49152); compile time of one per-schema SQL grammar
(`agl_ops.tasks.sql.grammar.sql_grammar`, every database of a synthetic dataset, all
tables and the <= 3 linked tables of a task), counted up to the first token mask, as
a server would see it; per-token mask time replaying gold queries token by token
(batch 1: one matcher; batch 16: 16 matchers filling one 16-row bitmask per step,
sequentially and with the library's parallel batch call); applying a 16-row mask to
logits; and resident memory added. Every gold token must be allowed by its mask (a
check of the grammar too).

Then serve throughput with the chosen library (llguidance), side by side in one run:
`agl-ops serve` on the real model (models/base), 16 concurrent SQL-agent write calls
(the agent's own prompts, temperature 0.7), each with the grammar of its task's linked
tables, then the same requests unconstrained with ``max_tokens`` = the tokens each
constrained request made and ``ignore_eos`` (same tokens, same batch sizes: the
difference is the cost of the masks). Rounds alternate which side goes first; grammars are compiled in a
warm-up round first (a schema's grammar is compiled once and cached).

    python bench/grammar.py [--quick] [--no-serve] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOKENIZER_DIR = ROOT / "tests" / "fixtures" / "smollm2-tokenizer"
VOCAB = 49152
LIBS = ("xgrammar", "llguidance")


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _workload(data_dir: Path, n_queries: int) -> tuple[list[str], list[tuple[str, str]]]:
    """(distinct grammars: all tables of each db, then linked tables of tasks;
    (grammar, gold query) pairs)."""
    from agl_ops.tasks.sql.grammar import sql_grammar
    from agl_ops.tasks.sql.schema import link_tables, read_schema

    rows = [r for split in ("train", "val", "test") for r in json.loads((data_dir / f"{split}.json").read_text())]
    schemas = {}
    grammars: dict[str, None] = {}
    for db in sorted({r["db_id"] for r in rows}):
        schemas[db] = read_schema(data_dir / "database" / db / f"{db}.sqlite", sample_rows=3)
        grammars[sql_grammar(schemas[db])] = None
    pairs = []
    for r in rows[:n_queries]:
        linked = link_tables(schemas[r["db_id"]], r["question"], 3, 0.5)
        g = sql_grammar(linked)
        grammars[g] = None
        full = sql_grammar(schemas[r["db_id"]])
        pairs.append((full, r["query"]))  # the gold query under all tables (linking may drop one it needs)
    return list(grammars), pairs


class _Xgrammar:
    def __init__(self, tokenizer) -> None:  # noqa: ANN001
        import xgrammar as xgr

        self.xgr = xgr
        self.info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=VOCAB)
        self.compiler = xgr.GrammarCompiler(self.info, max_threads=2, cache_enabled=False)

    def compile(self, grammar: str):  # noqa: ANN201
        compiled = self.compiler.compile_grammar(grammar)
        return compiled

    def matcher(self, compiled):  # noqa: ANN001, ANN201
        return self.xgr.GrammarMatcher(compiled)

    def bitmask(self, n: int):  # noqa: ANN201
        return self.xgr.allocate_token_bitmask(n, VOCAB)

    def fill(self, m, mask, i: int) -> None:  # noqa: ANN001
        m.fill_next_token_bitmask(mask, i)

    def fill_batch(self, ms, mask) -> None:  # noqa: ANN001
        if not hasattr(self, "batch"):
            self.batch = self.xgr.BatchGrammarMatcher(max_threads=2)
        self.batch.batch_fill_next_token_bitmask(ms, mask)

    def accept(self, m, token: int) -> bool:  # noqa: ANN001
        return m.accept_token(token)

    def apply(self, logits, mask) -> None:  # noqa: ANN001
        self.xgr.apply_token_bitmask_inplace(logits, mask)


def _ll_tokenizer(tokenizer):  # noqa: ANN001, ANN202
    """llguidance's tokenizer; the GGUF-converted SmolLM2 tokenizer's decoder (ByteFallback
    + ByteLevel) is read by llguidance as byte-fallback, so give it the plain ByteLevel one."""
    import llguidance

    d = json.loads(tokenizer.backend_tokenizer.to_str())
    if (d.get("pre_tokenizer") or {}).get("type") == "ByteLevel":
        d["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    d["padding"] = d["truncation"] = None
    return llguidance.LLTokenizer(json.dumps(d), n_vocab=VOCAB, eos_token=tokenizer.eos_token_id)


class _Llguidance:
    def __init__(self, tokenizer) -> None:  # noqa: ANN001
        import llguidance

        self.llg = llguidance
        self.tok = _ll_tokenizer(tokenizer)
        self.executor = llguidance.LLExecutor(2)

    def compile(self, grammar: str):  # noqa: ANN201
        m = self.llg.LLMatcher(self.tok, self.llg.grammar_from("grammar", grammar))
        if m.is_error():
            raise ValueError(m.get_error())
        return m

    def matcher(self, compiled):  # noqa: ANN001, ANN201
        return compiled.deep_copy()

    def bitmask(self, n: int):  # noqa: ANN201
        import torch

        return torch.full((n, (VOCAB + 31) // 32), -1, dtype=torch.int32)

    def fill(self, m, mask, i: int) -> None:  # noqa: ANN001
        # as agl_ops.llm.masks does: llguidance.torch's helper costs a ~6 s import (torch.compile)
        m.unsafe_compute_mask_ptr(mask.data_ptr() + i * mask.shape[1] * 4, mask.shape[1] * 4)

    def fill_batch(self, ms, mask) -> None:  # noqa: ANN001
        self.executor.unsafe_compute_mask_ptr([(m, i) for i, m in enumerate(ms)], mask.data_ptr(), mask.shape[1] * 4,
                                              len(ms))

    def accept(self, m, token: int) -> bool:  # noqa: ANN001
        return m.consume_token(token)

    def apply(self, logits, mask) -> None:  # noqa: ANN001
        import llguidance.torch

        llguidance.torch.apply_token_bitmask_inplace(logits, mask)


def _allowed(mask, row: int, token: int) -> bool:  # noqa: ANN001
    return bool((int(mask[row, token // 32]) >> (token % 32)) & 1)


def _measure(lib: str, data_dir: str, n_queries: int, out: mp.Queue) -> None:
    import torch
    from transformers import AutoTokenizer

    torch.set_num_threads(1)
    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_DIR)
    grammars, pairs = _workload(Path(data_dir), n_queries)
    rss0 = _rss_mb()
    t = time.perf_counter()
    backend = _Xgrammar(tokenizer) if lib == "xgrammar" else _Llguidance(tokenizer)
    setup_s = time.perf_counter() - t
    rss_setup = _rss_mb()
    compiled, compile_ms = {}, []
    mask1 = backend.bitmask(1)
    for g in grammars:
        t = time.perf_counter()
        c = backend.compile(g)
        backend.fill(backend.matcher(c), mask1, 0)  # up to the first mask: what a request waits for
        compile_ms.append((time.perf_counter() - t) * 1000)
        compiled[g] = c
    rss_compiled = _rss_mb()
    eos = tokenizer.eos_token_id
    seqs = [(g, tokenizer.encode(q + ";", add_special_tokens=False) + [eos]) for g, q in pairs]
    rejected = 0
    per_token = []  # batch 1
    for g, ids in seqs:
        m = backend.matcher(compiled[g])
        for tok in ids:
            t = time.perf_counter()
            backend.fill(m, mask1, 0)
            per_token.append((time.perf_counter() - t) * 1e6)
            if not _allowed(mask1, 0, tok):
                rejected += 1
                break
            if tok != eos:
                backend.accept(m, tok)
    step_seq, step_par = [], []  # batch 16, lockstep over 16 gold queries
    for start in range(0, len(seqs) - 15, 16):
        group = seqs[start:start + 16]
        for mode, sink in (("seq", step_seq), ("par", step_par)):
            ms = [backend.matcher(compiled[g]) for g, _ in group]
            mask = backend.bitmask(16)
            for pos in range(min(len(ids) for _, ids in group) - 1):
                t = time.perf_counter()
                if mode == "seq":
                    for i, m in enumerate(ms):
                        backend.fill(m, mask, i)
                else:
                    backend.fill_batch(ms, mask)
                sink.append((time.perf_counter() - t) * 1e6)
                for m, (_, ids) in zip(ms, group):
                    backend.accept(m, ids[pos])
    logits = torch.randn(16, VOCAB)
    mask16 = backend.bitmask(16)
    backend.apply(logits.clone(), mask16)  # a first call may compile
    t = time.perf_counter()
    for _ in range(50):
        backend.apply(logits.clone(), mask16)
    apply_us = (time.perf_counter() - t) / 50 * 1e6
    from agl_ops.llm.sampling import apply_token_bitmask

    t = time.perf_counter()
    for _ in range(50):
        apply_token_bitmask(logits.clone(), mask16, list(range(16)))
    ours_us = (time.perf_counter() - t) / 50 * 1e6
    out.put({
        "lib": lib, "setup_s": setup_s, "grammars": len(grammars), "queries": len(seqs), "rejected": rejected,
        "compile_ms_median": statistics.median(compile_ms), "compile_ms_max": max(compile_ms),
        "mask_us_b1_median": statistics.median(per_token), "mask_us_b1_p99": sorted(per_token)[int(0.99 * len(per_token))],
        "step_us_b16_seq": statistics.median(step_seq) if step_seq else float("nan"),
        "step_us_b16_par": statistics.median(step_par) if step_par else float("nan"),
        "apply_us_b16": apply_us, "apply_ours_us_b16": ours_us, "rss_setup_mb": rss_setup - rss0, "rss_per_grammar_mb": (rss_compiled - rss_setup) / len(grammars),
    })


def _serve_requests(data_dir: Path, n: int) -> list[tuple[str, str]]:
    """(write prompt, grammar of the linked tables) of the first ``n`` tasks, as the agent sends them."""
    from agl_ops.tasks.sql.agent import LitSQLAgent
    from agl_ops.tasks.sql.spider import SpiderDataset

    agent = LitSQLAgent(constrained=True)
    splits = {"train": "train.json", "val": "val.json", "test": "test.json"}
    tasks = [t.to_row() for t in SpiderDataset(data_dir, splits).load("val", n)]
    return [(agent.write_prompt(t), agent.query_grammar(t)) for t in tasks]


async def _round(url: str, reqs: list[tuple[str, str]], max_tokens: list[int] | None,
                 constrained: bool) -> tuple[list[int], float]:
    import aiohttp

    async def one(session: aiohttp.ClientSession, i: int) -> int:
        prompt, grammar = reqs[i]
        body = {"model": "bench", "messages": [{"role": "user", "content": prompt}], "temperature": 0.7, "seed": i,
                "stop": [";", "\n\n"]}
        if constrained:
            body.update(max_tokens=64, structured_outputs={"grammar": grammar})
        else:
            body.update(max_tokens=max(max_tokens[i], 1), ignore_eos=True, stop=None)
        async with session.post(f"{url}/v1/chat/completions", json=body) as r:
            data = await r.json()
            if r.status != 200:
                raise RuntimeError(f"server error: {data}")
            return data["usage"]["completion_tokens"]

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=900)) as session:
        start = time.perf_counter()
        counts = await asyncio.gather(*(one(session, i) for i in range(len(reqs))))
        return list(counts), time.perf_counter() - start


def _serve_bench(data_dir: Path, n: int, rounds: int) -> dict:
    from agl_ops.llm.client import ModelServerProcess
    from agl_ops.llm.prepare import check_model_dir, prepare_model

    model_dir = ROOT / "models" / "base"
    if not model_dir.exists():
        prepare_model(None, model_dir)
    check_model_dir(model_dir)
    reqs = _serve_requests(data_dir, n)
    out = {"requests": len(reqs), "grammars": len({g for _, g in reqs}), "rounds": rounds, "on": [], "off": []}
    with ModelServerProcess(model_dir, extra_args=["--served-model-name", "bench"], startup_timeout_s=300) as server:
        t = time.perf_counter()
        counts, _ = asyncio.run(_round(server.url, reqs, None, True))  # warm-up: tokenizer setup + compiles
        out["warmup_s"] = time.perf_counter() - t
        for r in range(rounds):  # the order alternates (the machine's load drifts)
            if r % 2 == 0:
                counts, on = asyncio.run(_round(server.url, reqs, None, True))
                _, off = asyncio.run(_round(server.url, reqs, counts, False))
            else:
                _, off = asyncio.run(_round(server.url, reqs, counts, False))
                counts, on = asyncio.run(_round(server.url, reqs, None, True))
            out["on"].append(sum(counts) / on)
            out["off"].append(sum(counts) / off)
            print(f"  {sum(counts)} tokens: constrained {sum(counts) / on:6.1f} tok/s, "
                  f"unconstrained {sum(counts) / off:6.1f} tok/s")
    out["on_tps"], out["off_tps"] = statistics.median(out["on"]), statistics.median(out["off"])
    out["slowdown"] = 1 - sum(out["on"]) / sum(out["off"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="32 gold queries, serve 4 requests x 1 round")
    ap.add_argument("--queries", type=int, default=256)
    ap.add_argument("--no-serve", action="store_true", help="skip the serve-throughput part (real model)")
    ap.add_argument("--rounds", type=int, default=3, help="serve rounds (constrained, then unconstrained)")
    ap.add_argument("--serve-only", action="store_true", help="skip the library comparison")
    ap.add_argument("--write-docs", action="store_true", help="append the table to docs/benchmarks.md")
    args = ap.parse_args()
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    n = 32 if args.quick else args.queries
    data = Path(tempfile.mkdtemp(prefix="bench-grammar-"))
    generate_dataset(data, SynthParams(seed=5, train_size=max(n, 40), val_size=40, test_size=20))
    import importlib.util

    libs = [lib for lib in LIBS if importlib.util.find_spec(lib)]  # xgrammar is not a dependency: pip install it
    if args.serve_only:
        serve = _serve_bench(data, 16, args.rounds)
        print(f"constrained_serve_slowdown: {100 * serve['slowdown']:.1f} % (target: <= 15 %)")
        return
    ctx = mp.get_context("spawn")
    results = {}
    for lib in libs:
        q: mp.Queue = ctx.Queue()
        p = ctx.Process(target=_measure, args=(lib, str(data), n, q))
        p.start()
        results[lib] = q.get(timeout=1200)
        p.join()
    rows = [
        ("tokenizer setup (s)", "setup_s", "{:.2f}"), ("grammar compile to first mask, median (ms)", "compile_ms_median", "{:.1f}"),
        ("grammar compile, max (ms)", "compile_ms_max", "{:.1f}"), ("mask per token, batch 1, median (us)", "mask_us_b1_median", "{:.0f}"),
        ("mask per token, batch 1, p99 (us)", "mask_us_b1_p99", "{:.0f}"),
        ("16-row mask per step, sequential (us)", "step_us_b16_seq", "{:.0f}"),
        ("16-row mask per step, parallel call (us)", "step_us_b16_par", "{:.0f}"),
        ("apply 16-row mask to logits, library's CPU function (us)", "apply_us_b16", "{:.0f}"),
        ("apply 16-row mask, ours (sampling.apply_token_bitmask, us)", "apply_ours_us_b16", "{:.0f}"), ("memory, tokenizer setup (MB)", "rss_setup_mb", "{:.0f}"),
        ("memory per compiled grammar (MB)", "rss_per_grammar_mb", "{:.2f}"), ("gold queries rejected", "rejected", "{}"),
    ]
    table = "| | " + " | ".join(libs) + " |\n|---|" + "---|" * len(libs) + "\n"
    table += "".join(f"| {label} | " + " | ".join(fmt.format(results[lib][key]) for lib in libs) + " |\n"
                     for label, key, fmt in rows)
    g = results["llguidance"]
    print(f"{g['grammars']} distinct grammars, {g['queries']} gold queries replayed, SmolLM2 tokenizer vocab {VOCAB}\n")
    print(table)
    serve = None
    if not args.no_serve:
        print(f"serve throughput, real model, {4 if args.quick else 16} concurrent constrained vs unconstrained:")
        serve = _serve_bench(data, 4 if args.quick else 16, 1 if args.quick else args.rounds)
    if args.write_docs:
        _write_docs(args, g, table, serve)
    if "xgrammar" in results:
        ratio = results["xgrammar"]["compile_ms_median"] / g["compile_ms_median"]
        print(f"grammar_compile_xgrammar_vs_llguidance: {ratio:.1f}x (llguidance compiles "
              f"{g['compile_ms_median']:.0f} ms, masks a 16-row step in {g['step_us_b16_seq'] / 1000:.1f} ms)")
    if serve is not None:
        print(f"constrained_serve_slowdown: {100 * serve['slowdown']:.1f} % (target: <= 15 %)")


def _write_docs(args, g: dict, table: str, serve: dict | None) -> None:  # noqa: ANN001
    doc = ROOT / "docs" / "benchmarks.md"
    text = (f"\n### bench/grammar.py{' --quick' if args.quick else ''} ({time.strftime('%Y-%m-%d')}, "
            f"{platform.machine()}, {os.cpu_count()} cores)\n\n{g['grammars']} distinct SQL grammars, "
            f"{g['queries']} gold queries replayed, SmolLM2 tokenizer (vocab {VOCAB}).\n\n{table}")
    if serve is not None:
        rows = "".join(f"| {i + 1} | {on:.1f} | {off:.1f} | {100 * (1 - on / off):.1f} % |\n"
                       for i, (on, off) in enumerate(zip(serve["on"], serve["off"])))
        text += (f"\nServe throughput (llguidance, models/base, {serve['requests']} concurrent agent write calls, "
                 f"{serve['grammars']} distinct grammars, warm-up round {serve['warmup_s']:.1f} s incl. tokenizer "
                 f"setup and compiles):\n\n| round | constrained tok/s | unconstrained tok/s (same tokens) | "
                 f"slowdown |\n|---|---|---|---|\n{rows}\nconstrained_serve_slowdown: "
                 f"{100 * serve['slowdown']:.1f} % (target: <= 15 %)\n")
    doc.write_text(doc.read_text() + text)


if __name__ == "__main__":
    main()

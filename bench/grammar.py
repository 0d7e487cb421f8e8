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

    python bench/grammar.py [--quick] [--write-docs]
"""

from __future__ import annotations

import argparse
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
        import llguidance.hf
        import llguidance.torch

        self.llg, self.lt = llguidance, llguidance.torch
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
        return self.lt.allocate_token_bitmask(n, VOCAB)

    def fill(self, m, mask, i: int) -> None:  # noqa: ANN001
        self.lt.fill_next_token_bitmask(m, mask, i)

    def fill_batch(self, ms, mask) -> None:  # noqa: ANN001
        self.lt.fill_next_token_bitmask_par(self.executor, [(m, i) for i, m in enumerate(ms)], mask)

    def accept(self, m, token: int) -> bool:  # noqa: ANN001
        return m.consume_token(token)

    def apply(self, logits, mask) -> None:  # noqa: ANN001
        self.lt.apply_token_bitmask_inplace(logits, mask)


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
    t = time.perf_counter()
    for _ in range(200):
        backend.apply(logits.clone(), mask16)
    apply_us = (time.perf_counter() - t) / 200 * 1e6
    out.put({
        "lib": lib, "setup_s": setup_s, "grammars": len(grammars), "queries": len(seqs), "rejected": rejected,
        "compile_ms_median": statistics.median(compile_ms), "compile_ms_max": max(compile_ms),
        "mask_us_b1_median": statistics.median(per_token), "mask_us_b1_p99": sorted(per_token)[int(0.99 * len(per_token))],
        "step_us_b16_seq": statistics.median(step_seq) if step_seq else float("nan"),
        "step_us_b16_par": statistics.median(step_par) if step_par else float("nan"),
        "apply_us_b16": apply_us, "rss_setup_mb": rss_setup - rss0, "rss_per_grammar_mb": (rss_compiled - rss_setup) / len(grammars),
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small dataset, 64 gold queries")
    ap.add_argument("--queries", type=int, default=256)
    ap.add_argument("--write-docs", action="store_true", help="append the table to docs/benchmarks.md")
    args = ap.parse_args()
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset

    n = 64 if args.quick else args.queries
    data = Path(tempfile.mkdtemp(prefix="bench-grammar-"))
    generate_dataset(data, SynthParams(seed=5, train_size=max(n, 40), val_size=20, test_size=20))
    ctx = mp.get_context("spawn")
    results = {}
    for lib in LIBS:
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
        ("apply 16-row mask to logits (us)", "apply_us_b16", "{:.0f}"), ("memory, tokenizer setup (MB)", "rss_setup_mb", "{:.0f}"),
        ("memory per compiled grammar (MB)", "rss_per_grammar_mb", "{:.2f}"), ("gold queries rejected", "rejected", "{}"),
    ]
    table = "| | " + " | ".join(LIBS) + " |\n|---|" + "---|" * len(LIBS) + "\n"
    table += "".join(f"| {label} | " + " | ".join(fmt.format(results[lib][key]) for lib in LIBS) + " |\n"
                     for label, key, fmt in rows)
    x, g = results["xgrammar"], results["llguidance"]
    print(f"{g['grammars']} distinct grammars, {g['queries']} gold queries replayed, SmolLM2 tokenizer vocab {VOCAB}\n")
    print(table)
    if args.write_docs:
        doc = ROOT / "docs" / "benchmarks.md"
        doc.write_text(doc.read_text() + f"\n### bench/grammar.py{' --quick' if args.quick else ''} "
                       f"({time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores)\n\n"
                       f"{g['grammars']} distinct SQL grammars, {g['queries']} gold queries replayed.\n\n{table}")
    ratio = x["compile_ms_median"] / g["compile_ms_median"]
    print(f"grammar_compile_xgrammar_vs_llguidance: {ratio:.1f}x "
          f"(target: winner compiles a schema grammar < 50 ms and masks a 16-row step < 2 ms)")


if __name__ == "__main__":
    main()

"""The batching engine: batched and prefix-cached generation equals one-by-one
generation, and the pieces (KV rows, sampler, prefix cache) do what they claim."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from agl_ops.llm.engine import Engine, EngineConfig, PromptTooLong
from agl_ops.llm.kvcache import BatchKV
from agl_ops.llm.prefix_cache import PrefixCache
from agl_ops.llm.sampling import SamplingParams, sample_step

GREEDY = SamplingParams(max_tokens=10, temperature=0, ignore_eos=True)


def _run(engine: Engine, prompts: list[list[int]], params: SamplingParams = GREEDY):
    done = [threading.Event() for _ in prompts]
    seqs = [engine.submit(p, params, lambda s, fin, e=e: fin and e.set()) for p, e in zip(prompts, done)]
    for e in done:
        assert e.wait(30)
    return seqs


def _prompts(engine: Engine, n: int, shared: str = "Schema: users(id, name), orders(id, user_id, total). " * 4):
    return [engine.tokenizer.encode(f"{shared}Question {i}: {'how many ' * (i + 1)}?") for i in range(n)]


def test_batched_equals_single(engine: Engine, tiny_model_dir: Path) -> None:
    prompts = _prompts(engine, 5)
    alone = Engine(EngineConfig(str(tiny_model_dir), dtype="float32", prefix_cache_tokens=0)).start()
    try:
        singles = [_run(alone, [p])[0] for p in prompts]
    finally:
        alone.stop()
    done = [threading.Event() for _ in prompts]
    with engine.held():  # all five start together
        seqs = [engine.submit(p, GREEDY, lambda s, fin, e=e: fin and e.set()) for p, e in zip(prompts, done)]
    assert all(e.wait(30) for e in done)
    assert engine.stats.batch_sizes == {5: 10}
    assert engine.stats.cached_prompt_tokens > 0  # the shared schema prefix was reused
    for s, ref in zip(seqs, singles):
        assert s.token_ids == ref.token_ids
        assert s.logprobs == pytest.approx(ref.logprobs, abs=1e-4)


def test_prefix_reuse_is_exact(engine: Engine) -> None:
    prompts = _prompts(engine, 3)
    first = _run(engine, prompts)  # 2nd and 3rd reuse the 1st's prefix
    assert engine.stats.cached_prompt_tokens > 0
    engine._prefix.clear()
    again = [_run(engine, [p])[0] for p in prompts]  # each from scratch (cache cleared before the first)
    assert [s.token_ids for s in first] == [s.token_ids for s in again]


def test_hf_generate_agrees(engine: Engine) -> None:
    prompt = _prompts(engine, 1)[0]
    (seq,) = _run(engine, [prompt])
    with torch.inference_mode():
        ref = engine._model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                                     max_new_tokens=10, do_sample=False, eos_token_id=None)
    assert seq.token_ids == ref[0, len(prompt):].tolist()


def test_seeded_sampling_is_reproducible(engine: Engine) -> None:
    params = SamplingParams(max_tokens=8, temperature=1.0, top_p=0.9, seed=5, ignore_eos=True)
    a = _run(engine, _prompts(engine, 1), params)[0].token_ids
    b = _run(engine, _prompts(engine, 1), params)[0].token_ids
    assert a == b


def test_limits(engine: Engine) -> None:
    with pytest.raises(PromptTooLong):
        engine.submit([5] * 2000, GREEDY)
    (seq,) = _run(engine, [[5] * 1020], SamplingParams(max_tokens=50, temperature=0, ignore_eos=True))
    assert len(seq.token_ids) == 4 and seq.finish_reason == "length"  # clipped at max_model_len=1024


def test_batch_kv_rows_stay_aligned() -> None:
    kv = BatchKV(n_layers=1, n_kv_heads=1, head_dim=2, dtype=torch.float32, rows=1, cols=4)

    def seq(value: float, n: int):
        t = torch.full((1, 1, n, 2), value)
        return [(t, t.clone())]

    kv.add(seq(1.0, 3), 3)
    kv.add(seq(2.0, 5), 5)  # longer: row 0 moves right, buffers grow
    assert kv.length == 5 and kv.starts == [2, 0]
    assert kv.keys[0][0, 0, 2:5, 0].tolist() == [1.0, 1.0, 1.0]
    assert kv.valid[0, :5].tolist() == [False, False, True, True, True]
    for _ in range(10):  # decode steps: grows columns as needed
        cache, mask = kv.decode_inputs()
        assert mask.shape == (2, 1, 1, kv.length + 1)
        kv.advance()
    moved = kv.remove(0)
    assert moved == 1 and kv.rows == 1 and kv.starts == [0]
    assert kv.keys[0][0, 0, :5, 0].tolist() == [2.0] * 5


def test_sampler() -> None:
    logits = torch.tensor([[0.0, 5.0, 4.9, -3.0], [1.0, 0.0, 0.0, 9.0]])
    greedy = sample_step(logits, [SamplingParams(temperature=0)] * 2, [None, None])
    assert greedy.token_ids == [1, 3]
    assert greedy.logprobs == pytest.approx(torch.log_softmax(logits, -1)[[0, 1], [1, 3]].tolist(), abs=1e-5)
    top_p = SamplingParams(temperature=1.0, top_p=0.5)  # nucleus of row 0 is token 1 only
    picks = {sample_step(logits[:1], [top_p], [None]).token_ids[0] for _ in range(50)}
    assert picks == {1}
    wide = SamplingParams(temperature=1.0, top_p=0.9)
    picks = {sample_step(logits[:1], [wide], [None]).token_ids[0] for _ in range(200)}
    assert picks == {1, 2}
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    flat = torch.zeros(1, 1000)
    assert sample_step(flat, [SamplingParams()], [g1]).token_ids == sample_step(flat, [SamplingParams()], [g2]).token_ids
    top = sample_step(logits, [SamplingParams(temperature=0, top_logprobs=2)] * 2, [None, None]).top
    assert [t[0] for t in top[0]] == [1, 2]


def test_prefix_cache_lookup_and_eviction() -> None:
    cache = PrefixCache(max_tokens=60, min_match=4)
    kv = lambda n: [(torch.arange(n, dtype=torch.float32).view(1, 1, n, 1),) * 2]  # noqa: E731
    cache.insert(list(range(30)), kv(30))
    n, hit = cache.lookup(list(range(20)) + [99, 98], max_len=21)
    assert n == 20 and hit[0][0].shape[2] == 20
    assert cache.lookup([7, 7, 7, 7, 7], 5) == (0, None)
    cache.insert(list(range(40)), kv(40))  # supersedes the 30-token entry
    assert len(cache) == 1 and cache.tokens == 40
    cache.insert([5] * 30, kv(30))  # over 60 tokens: the oldest goes
    assert len(cache) == 1 and cache.tokens == 30

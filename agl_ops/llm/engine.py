"""The generation engine: continuous batching of concurrent requests on one model.

A scheduler thread owns the model. Each iteration it admits waiting sequences (prefill
one by one, reusing cached prompt prefixes, no padding), then runs ONE decode step for
every running sequence together; a sequence joins or leaves between any two steps, so
a short request never waits for a long one to finish. Results go to each sequence's
``sink`` (called on the scheduler thread; the HTTP server hops them onto its loop).

Why not transformers' own ``generate_batch`` (continuous batching): it runs on CPU but
was 2.6x slower than plain batched ``generate`` for 16 requests here (docs/serving.md).

Hot reload: ``reload`` loads the new weights beside the old ones, stops admitting,
lets running sequences finish on the old weights (one response = one model version),
swaps, clears the prefix cache and resumes.

Constrained decoding: a sequence submitted with a compiled grammar owns a matcher; at
every decode step the constrained rows' allowed-token bitmasks are filled (llguidance)
and applied to their logits before sampling, and each matcher advances by its sampled
token. Unconstrained rows in the same batch are untouched. Grammars are compiled once
per distinct text (:meth:`Engine.compile_constraint`, an LRU).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from agl_ops.llm.kvcache import BatchKV, kv_of, prompt_cache
from agl_ops.llm.constraint import Constraint
from agl_ops.llm.loading import load_model, resolve_dtype
from agl_ops.llm.masks import CompiledConstraint, GrammarCompiler, allocate_bitmask
from agl_ops.llm.prefix_cache import PrefixCache
from agl_ops.llm.sampling import SamplingParams, sample_step

__all__ = ["EngineConfig", "Engine", "Sequence", "EngineStats", "PromptTooLong"]

logger = logging.getLogger(__name__)

Sink = Callable[["Sequence", bool], None]


class PromptTooLong(ValueError):
    pass


@dataclass
class EngineConfig:
    model_path: str
    adapter_path: str | None = None
    dtype: str = "auto"
    max_batch_size: int = 32
    max_model_len: int = 8192
    prefix_cache_tokens: int = 16384
    prefill_token_budget: int = 2048  # prompt tokens prefilled per iteration before the next decode step
    num_threads: int | None = None
    version: str | None = None


_seq_ids = itertools.count()


class Sequence:
    """One generated choice: its prompt, settings, and what has been generated so far."""

    def __init__(self, prompt_ids: list[int], params: SamplingParams, sink: Sink | None = None,
                 constraint: CompiledConstraint | None = None) -> None:
        self.seq_id = next(_seq_ids)
        self.prompt_ids = prompt_ids
        self.params = params
        self.sink = sink
        self.token_ids: list[int] = []
        self.logprobs: list[float] = []
        self.top: list[list[tuple[int, float]]] = []
        self.finish_reason: str | None = None  # stop | length | abort | error
        self.stop_index: int | None = None  # where a stop string starts in the decoded text
        self.error: str | None = None
        self.model_version: str | None = None
        self.cancelled = False
        self.generator = torch.Generator().manual_seed(params.seed) if params.seed is not None else None
        self.next_id = prompt_ids[-1]
        self.position = len(prompt_ids) - 1
        self.constraint: Constraint | None = constraint.constraint if constraint is not None else None
        self.matcher = constraint.matcher() if constraint is not None else None

    @property
    def finished(self) -> bool:
        return self.finish_reason is not None


@dataclass
class EngineStats:
    steps: int = 0
    generated_tokens: int = 0
    prefill_tokens: int = 0
    cached_prompt_tokens: int = 0
    max_batch_size: int = 0
    batch_sizes: Counter = field(default_factory=Counter)  # decode steps per batch size

    def as_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "generated_tokens": self.generated_tokens, "prefill_tokens": self.prefill_tokens,
                "cached_prompt_tokens": self.cached_prompt_tokens, "max_batch_size": self.max_batch_size,
                "batch_sizes": {str(k): v for k, v in sorted(self.batch_sizes.items())}}


class Engine:
    def __init__(self, config: EngineConfig, *, model: Any = None, tokenizer: Any = None) -> None:
        self.config = config
        self.dtype = resolve_dtype(config.dtype)
        if model is None:
            model, tokenizer = load_model(config.model_path, config.adapter_path, self.dtype)
        self.model_path, self.adapter_path = config.model_path, config.adapter_path
        self._reloads = 0
        self.version = config.version or "v0"
        self._install(model, tokenizer)
        self.stats = EngineStats()
        self._waiting: deque[Sequence] = deque()
        self._rows: list[Sequence] = []
        self._cond = threading.Condition()
        self._hold = 0
        self._swap: tuple[Any, ...] | None = None
        self._reload_lock = threading.Lock()
        self._stop = False
        self._thread: threading.Thread | None = None

    # -- public API ------------------------------------------------------------------
    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    @property
    def model_name(self) -> str:
        return Path(self.model_path).name

    def start(self) -> Engine:
        if self.config.num_threads:
            torch.set_num_threads(self.config.num_threads)
        self._thread = threading.Thread(target=self._run, name="agl-engine", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def compile_constraint(self, constraint: Constraint) -> CompiledConstraint:
        """Compile (or fetch from the LRU) a grammar/regex for this model's tokenizer;
        ConstraintError when it does not compile. Slow the first time (tokenizer setup,
        ~4 s) and per new text (~40 ms): call it off the event loop."""
        return self._grammars.compile(constraint)

    def submit(self, prompt_ids: list[int], params: SamplingParams, sink: Sink | None = None,
               constraint: CompiledConstraint | None = None) -> Sequence:
        if not prompt_ids:
            raise PromptTooLong("the prompt is empty")
        room = self.config.max_model_len - len(prompt_ids)
        if room < 1:
            raise PromptTooLong(f"the prompt has {len(prompt_ids)} tokens; this model serves at most "
                                f"{self.config.max_model_len} tokens in total")
        if params.max_tokens > room:
            params = SamplingParams(**{**params.__dict__, "max_tokens": room})
        seq = Sequence(prompt_ids, params, sink, constraint)
        with self._cond:
            if self._stop:
                raise RuntimeError("the engine is stopped")
            self._waiting.append(seq)
            self._cond.notify_all()
        return seq

    def cancel(self, seq: Sequence) -> None:
        seq.cancelled = True

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold admission (requests queue up) until the block ends: they then start together."""
        with self._cond:
            self._hold += 1
        try:
            yield
        finally:
            with self._cond:
                self._hold -= 1
                self._cond.notify_all()

    @property
    def n_waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def reload(self, model_path: str | None = None, adapter_path: str | None = None,
               version: str | None = None, timeout_s: float = 600.0) -> str:
        """Load new weights (a base model dir and/or a LoRA adapter) and swap them in
        once running sequences finish. Returns the new version id."""
        with self._reload_lock:
            path = model_path or self.model_path
            model, tokenizer = load_model(path, adapter_path, self.dtype)
            self._reloads += 1
            new_version = version or f"v{self._reloads}"
            done = threading.Event()
            with self._cond:
                self._swap = (model, tokenizer, path, adapter_path, new_version, done)
                self._cond.notify_all()
            if not done.wait(timeout_s):
                raise TimeoutError(f"running requests did not finish within {timeout_s}s; reload not applied")
            return new_version

    # -- scheduler -------------------------------------------------------------------
    def _install(self, model: Any, tokenizer: Any) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._decoder = getattr(model, model.base_model_prefix)
        cfg = model.config.get_text_config()
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
        self._kv = BatchKV(cfg.num_hidden_layers, cfg.num_key_value_heads, head_dim, model.dtype)
        self._prefix = PrefixCache(self.config.prefix_cache_tokens)
        limit = getattr(cfg, "max_position_embeddings", None)
        if limit and limit < self.config.max_model_len:
            self.config.max_model_len = int(limit)
        eos = model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if tokenizer.eos_token_id is not None:
            eos_ids.add(tokenizer.eos_token_id)
        self._eos_ids = eos_ids
        self._grammars = GrammarCompiler(tokenizer, cfg.vocab_size, eos_ids)

    def _run(self) -> None:
        with torch.inference_mode():
            while True:
                with self._cond:
                    while not self._stop and not self._rows and not self._admissible() and not self._swap:
                        self._cond.wait()
                    if self._stop:
                        break
                    if self._swap is not None and not self._rows:
                        self._apply_swap()
                        continue
                    admitted = self._take_admissible()
                for seq in admitted:
                    self._guard(self._prefill, seq)
                if self._rows:
                    self._guard(self._step, None)
        self._fail_all("the engine stopped")

    def _admissible(self) -> bool:
        return bool(self._waiting) and self._hold == 0 and self._swap is None

    def _take_admissible(self) -> list[Sequence]:
        taken: list[Sequence] = []
        budget = self.config.prefill_token_budget
        while self._admissible() and len(self._rows) + len(taken) < self.config.max_batch_size:
            if taken and len(self._waiting[0].prompt_ids) > budget:
                break
            seq = self._waiting.popleft()
            budget -= len(seq.prompt_ids)
            taken.append(seq)
        return taken

    def _apply_swap(self) -> None:
        model, tokenizer, path, adapter, version, done = self._swap
        self._install(model, tokenizer)
        self.model_path, self.adapter_path, self.version = path, adapter, version
        self._swap = None
        logger.info("serving model version %s (%s%s)", version, path, f" + {adapter}" if adapter else "")
        done.set()

    def _guard(self, fn: Callable[[Sequence | None], None], seq: Sequence | None) -> None:
        try:
            fn(seq)
        except Exception as exc:  # a failed step fails its sequences, never the engine
            logger.exception("generation failed")
            if seq is not None:  # a prefill: only that sequence (it is not in a row yet)
                victims = [seq]
            else:
                victims, self._rows = self._rows, []
                self._kv = BatchKV(self._kv.n_layers, self._kv.n_kv_heads, self._kv.head_dim, self._kv.dtype)
            for victim in victims:
                victim.error = f"{type(exc).__name__}: {exc}"
                self._finish(victim, "error")

    def _prefill(self, seq: Sequence) -> None:
        if seq.cancelled:
            self._finish(seq, "abort")
            return
        seq.model_version = self.version
        ids = seq.prompt_ids
        n = len(ids) - 1  # the last prompt token is fed by the first decode step
        hit, prefix = self._prefix.lookup(ids, n)
        if hit < n:
            cache = prompt_cache(prefix)
            self._decoder(input_ids=torch.tensor([ids[hit:n]]), position_ids=torch.arange(hit, n)[None],
                          past_key_values=cache, use_cache=True)
            kv = kv_of(cache)
            self._prefix.insert(ids[:n], kv)
        else:
            kv = prefix or []
        self.stats.prefill_tokens += n - hit
        self.stats.cached_prompt_tokens += hit
        self._kv.add(kv, n)
        self._rows.append(seq)

    def _step(self, _: Sequence | None) -> None:
        rows = self._rows
        cache, mask = self._kv.decode_inputs()
        input_ids = torch.tensor([s.next_id for s in rows])[:, None]
        positions = torch.tensor([s.position for s in rows])[:, None]
        masked = [i for i, s in enumerate(rows) if s.matcher is not None]
        bitmask = None
        if masked:
            bitmask = allocate_bitmask(len(masked), self._grammars.vocab_size)
            for k, i in enumerate(masked):
                rows[i].matcher.fill(bitmask, k)
        out = self._model(input_ids=input_ids, position_ids=positions, attention_mask=mask,
                          past_key_values=cache, use_cache=True, logits_to_keep=1)
        self._kv.advance()
        step = sample_step(out.logits[:, -1], [s.params for s in rows], [s.generator for s in rows], bitmask, masked)
        n = len(rows)
        self.stats.steps += 1
        self.stats.generated_tokens += n
        self.stats.batch_sizes[n] += 1
        self.stats.max_batch_size = max(self.stats.max_batch_size, n)
        done: list[int] = []
        for i, seq in enumerate(rows):
            token = step.token_ids[i]
            seq.token_ids.append(token)
            seq.logprobs.append(step.logprobs[i])
            if step.top:
                seq.top.append(step.top[i])
            seq.next_id, seq.position = token, seq.position + 1
            if seq.matcher is not None and not seq.matcher.accept(token):
                seq.error = f"the grammar rejected sampled token {token}: {seq.matcher.error}"
                reason: str | None = "error"
            else:
                reason = self._stop_reason(seq, token)
            if reason is not None:
                done.append(i)
                self._finish(seq, reason)
            elif seq.sink is not None:
                _notify(seq, False)
        for i in reversed(done):
            moved = self._kv.remove(i)
            if moved is not None:
                rows[i] = rows[moved]
            rows.pop()
        if not rows and (self._kv.capacity[0] > 8 or self._kv.capacity[1] > 2048):
            kv = self._kv  # idle after a burst: give the KV buffers' memory back
            self._kv = BatchKV(kv.n_layers, kv.n_kv_heads, kv.head_dim, kv.dtype)

    def _stop_reason(self, seq: Sequence, token: int) -> str | None:
        if seq.cancelled:
            return "abort"
        if token in self._eos_ids and (not seq.params.ignore_eos or seq.matcher is not None):
            return "stop"  # a constrained sequence only samples EOS where its grammar is complete
        if seq.params.stop:
            text = self._tokenizer.decode(seq.token_ids, skip_special_tokens=True)
            found = [i for i in (text.find(s) for s in seq.params.stop) if i >= 0]
            if found:
                seq.stop_index = min(found)
                return "stop"
        if len(seq.token_ids) >= seq.params.max_tokens:
            return "length"
        return None

    def _finish(self, seq: Sequence, reason: str) -> None:
        seq.finish_reason = reason
        if seq.sink is not None:
            _notify(seq, True)

    def _fail_all(self, message: str) -> None:
        with self._cond:
            pending = list(self._waiting) + list(self._rows)
            self._waiting.clear()
            self._rows = []
        for seq in pending:
            if not seq.finished:
                seq.error = message
                self._finish(seq, "error")


def _notify(seq: Sequence, finished: bool) -> None:
    """A sink that fails (its client went away, its loop closed) must not fail the batch."""
    try:
        seq.sink(seq, finished)  # type: ignore[misc]
    except Exception as exc:
        seq.cancelled = True
        logger.debug("dropping sequence %d: its sink failed (%s)", seq.seq_id, exc)

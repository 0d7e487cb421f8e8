"""Token masks from grammars, with llguidance: compile once, match per sequence, replay.

Why llguidance (bench/grammar.py, docs/benchmarks.md): on our per-schema SQL grammars
with SmolLM2's tokenizer it compiled a grammar in ~40 ms (xgrammar ~105 ms) and masked a
16-row decode step in ~3-5 ms (xgrammar 30-45 ms: its precomputed mask cache does not
cover case-insensitive identifiers well), for ~0.25 MB per grammar.

Bitmasks are int32 ``[rows, ceil(vocab / 32)]``: bit ``j`` of word ``i`` allows token
``32 * i + j`` (the layout llguidance and xgrammar share). A matcher allows the end of
sequence tokens only where the grammar can end; once the grammar is complete it allows
nothing else.

:func:`allowed_token_masks` replays a recorded response under its grammar and gives
the per-position allowed-token masks: what a trainer needs to recompute the masked
distribution the server sampled from.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

import torch

from agl_ops.llm.constraint import Constraint, ConstraintError
from agl_ops.llm.sampling import bitmask_to_bool

__all__ = ["GrammarCompiler", "CompiledConstraint", "Matcher", "allocate_bitmask", "bitmask_to_bool",
           "allowed_token_bitmask", "allowed_token_masks", "grammar_accepts"]  # bitmask_to_bool re-exported from sampling

logger = logging.getLogger(__name__)

_TOKENIZERS: OrderedDict[tuple[str, int, tuple[int, ...]], Any] = OrderedDict()
_TOKENIZERS_LOCK = threading.Lock()


def _ll_tokenizer(hf_tokenizer: Any, vocab_size: int, eos_ids: tuple[int, ...]) -> Any:
    """llguidance's view of ``hf_tokenizer`` (built in ~4 s, so cached by tokenizer content).

    Tokenizers converted from GGUF (ours) carry a ByteFallback + ByteLevel decoder
    sequence that llguidance reads as byte-fallback (then "Ġx" is not " x" and every
    mask is wrong); with a ByteLevel pre-tokenizer the plain ByteLevel decoder is the
    same mapping, so it gets that one."""
    import llguidance

    spec = json.loads(hf_tokenizer.backend_tokenizer.to_str())
    decoder = spec.get("decoder") or {}
    if (spec.get("pre_tokenizer") or {}).get("type") == "ByteLevel" and decoder.get("type") == "Sequence" \
            and any(d.get("type") == "ByteLevel" for d in decoder.get("decoders", [])):
        spec["decoder"] = {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}
    spec["padding"] = spec["truncation"] = None
    text = json.dumps(spec, sort_keys=True)
    key = (hashlib.sha256(text.encode()).hexdigest(), vocab_size, eos_ids)
    with _TOKENIZERS_LOCK:
        if key not in _TOKENIZERS:
            _TOKENIZERS[key] = llguidance.LLTokenizer(text, n_vocab=vocab_size, eos_token=list(eos_ids))
            while len(_TOKENIZERS) > 4:
                _TOKENIZERS.popitem(last=False)
        return _TOKENIZERS[key]


def allocate_bitmask(rows: int, vocab_size: int) -> torch.Tensor:
    return torch.full((rows, (vocab_size + 31) // 32), -1, dtype=torch.int32)


class Matcher:
    """One sequence's position in its grammar."""

    __slots__ = ("_m",)

    def __init__(self, matcher: Any) -> None:
        self._m = matcher

    def fill(self, bitmask: torch.Tensor, row: int) -> None:
        """Write the tokens allowed next into ``bitmask[row]`` (a contiguous int32 CPU
        tensor from :func:`allocate_bitmask`). Not via ``llguidance.torch``: importing it
        costs ~6 s (it torch.compiles a kernel we do not use)."""
        words = bitmask.shape[1]
        self._m.unsafe_compute_mask_ptr(bitmask.data_ptr() + row * words * 4, words * 4)

    def accept(self, token: int) -> bool:
        """Advance by ``token``; False if the grammar does not allow it."""
        return bool(self._m.consume_token(token))

    @property
    def accepting(self) -> bool:
        """The text so far is a complete sentence of the grammar."""
        return bool(self._m.is_accepting())

    @property
    def error(self) -> str | None:
        return self._m.get_error() or None if self._m.is_error() else None


class CompiledConstraint:
    """A compiled grammar; each sequence gets its own cheap :class:`Matcher` copy."""

    def __init__(self, constraint: Constraint, template: Any) -> None:
        self.constraint = constraint
        self._template = template
        self._lock = threading.Lock()

    def matcher(self) -> Matcher:
        with self._lock:
            return Matcher(self._template.deep_copy())


class GrammarCompiler:
    """Compiles constraints for one tokenizer and vocabulary, once per distinct text
    (an LRU of ``cache_size``: many requests share one schema's grammar).

    ``vocab_size`` is the model's logits width; ``eos_ids`` the tokens that end a
    sequence (allowed only where the grammar can end). The llguidance tokenizer is
    built on first use (~4 s), not at construction."""

    def __init__(self, tokenizer: Any, vocab_size: int, eos_ids: Iterable[int], cache_size: int = 64) -> None:
        self.tokenizer, self.vocab_size = tokenizer, int(vocab_size)
        self.eos_ids = tuple(sorted(set(int(i) for i in eos_ids)))
        if not self.eos_ids:
            raise ValueError("a grammar needs at least one end-of-sequence token id")
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str], CompiledConstraint] = OrderedDict()
        self._lock = threading.Lock()
        self._ll: Any = None

    @property
    def ll_tokenizer(self) -> Any:
        if self._ll is None:  # reading the tokenizer's JSON alone costs ~0.5 s: once per compiler
            self._ll = _ll_tokenizer(self.tokenizer, self.vocab_size, self.eos_ids)
        return self._ll

    def compile(self, constraint: Constraint | str) -> CompiledConstraint:
        """The compiled ``constraint`` (a plain string is a grammar); ConstraintError
        with llguidance's message when it does not compile."""
        if isinstance(constraint, str):
            constraint = Constraint("grammar", constraint)
        key = (constraint.kind, constraint.text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        compiled = CompiledConstraint(constraint, self._build(constraint))
        with self._lock:
            self._cache[key] = compiled
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return compiled

    def _build(self, constraint: Constraint) -> Any:
        import llguidance

        try:
            spec = llguidance.grammar_from(constraint.kind, constraint.text)
        except (ValueError, TypeError) as exc:
            raise ConstraintError(f"the {constraint.kind} does not compile: {exc}") from None
        matcher = llguidance.LLMatcher(self.ll_tokenizer, spec, log_level=0)
        if matcher.is_error():
            raise ConstraintError(f"the {constraint.kind} does not compile: {matcher.get_error()}")
        return matcher

    @property
    def cached(self) -> int:
        return len(self._cache)


def allowed_token_masks(grammar: Constraint | str, compiler: GrammarCompiler,
                        response_ids: Sequence[int]) -> torch.Tensor:
    """Replay ``response_ids`` under ``grammar``: row ``i`` is the bool mask of tokens
    allowed before ``response_ids[i]`` (``[len(response_ids), compiler.vocab_size]``).

    The masked distribution the server sampled from at position ``i`` is
    ``log_softmax(logits[i].masked_fill(~masks[i], -inf))``. ``grammar`` is what the
    proxy recorded (span attribute ``constraint``: its ``type`` and ``text``); raises
    ValueError if a token was not allowed (the response was not generated under it)."""
    return bitmask_to_bool(allowed_token_bitmask(grammar, compiler, response_ids), compiler.vocab_size)


def allowed_token_bitmask(grammar: Constraint | str, compiler: GrammarCompiler,
                          response_ids: Sequence[int]) -> torch.Tensor:
    """:func:`allowed_token_masks` packed: int32 ``[len(response_ids), ceil(vocab / 32)]``,
    32x smaller than the bool form (what a trainer keeps per transition until its
    micro-batch expands it)."""
    if isinstance(grammar, str):
        grammar = Constraint("grammar", grammar)
    matcher = compiler.compile(grammar).matcher()
    bitmask = allocate_bitmask(len(response_ids), compiler.vocab_size)
    for i, token in enumerate(response_ids):
        matcher.fill(bitmask, i)
        allowed = (int(bitmask[i, token // 32]) >> (token % 32)) & 1
        if not allowed or not matcher.accept(token):
            raise ValueError(f"token {token} at position {i} is not allowed by the {grammar.kind} "
                             f"(sha256 {grammar.sha256[:12]})")
    return bitmask


def grammar_accepts(compiler: GrammarCompiler, grammar: Constraint | str, text: str, *, complete: bool = True) -> bool:
    """Whether ``text`` is a sentence of ``grammar`` (``complete=False``: the start of
    one), read through the compiler's tokenizer as a model would have written it."""
    matcher = compiler.compile(grammar).matcher()
    ids = compiler.tokenizer.encode(text, add_special_tokens=False)
    if not all(matcher.accept(t) for t in ids):
        return False
    return matcher.accepting or not complete

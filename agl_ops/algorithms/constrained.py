"""Allowed-token masks of grammar-constrained transitions, for the GRPO loss.

A call the agent made with ``structured_outputs`` was sampled from the masked
distribution (the server sets the logits of tokens its grammar does not allow to
-inf), so the behaviour policy of that transition is the masked one, and the ratio,
the KL and the entropy must be taken over it too: otherwise the loss pushes mass
around among tokens the sampler can never draw, and with ``old_logprobs: rollout``
the ratio compares two different distributions. The adapter keeps each call's
constraint (``Triplet.metadata["constraint"]``); here the response is replayed
under it (:func:`agl_ops.llm.masks.allowed_token_bitmask`) with the policy's own
tokenizer, giving the packed bitmask the loss expands per micro-batch.

A replay that fails (a token the grammar does not allow: another tokenizer, a
changed grammar) trains that row unmasked, with a warning and a count.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import torch

from agl_ops.types import Triplet

__all__ = ["ConstraintMasks", "MaskStats", "constraint_of", "policy_eos_ids"]

logger = logging.getLogger(__name__)


def constraint_of(triplet: Triplet) -> Any:
    """The :class:`~agl_ops.llm.constraint.Constraint` the transition was sampled
    under, or None (unconstrained, or recorded without a usable one)."""
    c = triplet.metadata.get("constraint")
    if not isinstance(c, dict) or not c.get("type") or not c.get("text"):
        return None
    from agl_ops.llm.constraint import Constraint

    return Constraint(str(c["type"]), str(c["text"]))


def policy_eos_ids(model: Any, tokenizer: Any) -> set[int]:
    """The tokens that end a sequence, read as the model server reads them (the
    generation config's and the tokenizer's): a grammar allows them only where it can end."""
    eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return {int(i) for i in ids}


@dataclass
class MaskStats:
    """Counters since the last reset."""

    constrained_rows: int = 0  # rows trained on the masked distribution
    replay_failed: int = 0  # constrained rows whose replay failed: trained unmasked
    replay_s: float = 0.0
    first_error: str | None = None

    def as_metrics(self) -> dict[str, float]:
        return {"train/constrained_rows": float(self.constrained_rows),
                "train/mask_replay_failed": float(self.replay_failed), "time/mask_replay_s": self.replay_s}


class ConstraintMasks:
    """Replays constrained transitions for one policy's tokenizer and logits width.

    The grammar compiler (and llguidance's view of the tokenizer, ~4 s) is built on the
    first constrained transition, so runs without constrained calls never pay for it;
    compiled grammars are cached in it (a schema's grammar compiles once)."""

    def __init__(self, tokenizer: Any, vocab_size: int, eos_ids: set[int] | list[int]) -> None:
        self.tokenizer, self.vocab_size, self.eos_ids = tokenizer, int(vocab_size), sorted(eos_ids)
        self._compiler: Any = None
        self.stats = MaskStats()

    @classmethod
    def for_policy(cls, model: Any, tokenizer: Any) -> ConstraintMasks:
        head = model.get_output_embeddings()
        width = int(head.weight.shape[0]) if head is not None else int(model.config.get_text_config().vocab_size)
        return cls(tokenizer, width, policy_eos_ids(model, tokenizer))

    @property
    def compiler(self) -> Any:
        if self._compiler is None:
            from agl_ops.llm.masks import GrammarCompiler

            self._compiler = GrammarCompiler(self.tokenizer, self.vocab_size, self.eos_ids)
        return self._compiler

    def bitmask(self, triplet: Triplet) -> torch.Tensor | None:
        """The int32 ``[len(response), ceil(vocab / 32)]`` bitmask of the tokens allowed at
        each response position; None for an unconstrained transition or a failed replay."""
        constraint = constraint_of(triplet)
        if constraint is None:
            return None
        from agl_ops.llm.masks import allowed_token_bitmask

        start = time.perf_counter()
        try:
            bits = allowed_token_bitmask(constraint, self.compiler, triplet.response_ids)
        except ValueError as exc:  # also ConstraintError: the grammar does not compile here
            self.stats.replay_failed += 1
            self.stats.first_error = self.stats.first_error or f"{triplet.span_name} ({triplet.rollout_id}): {exc}"
            logger.debug("mask replay failed for %s: %s", triplet.rollout_id, exc)
            return None
        finally:
            self.stats.replay_s += time.perf_counter() - start
        self.stats.constrained_rows += 1
        return bits

    def reset_stats(self) -> MaskStats:
        """The counters so far (a warning if some replays failed), and new ones."""
        stats, self.stats = self.stats, MaskStats()
        if stats.replay_failed:
            logger.warning("%d constrained transitions could not be replayed under their grammar and train "
                           "unmasked (e.g. %s): does the policy's tokenizer match the server's?",
                           stats.replay_failed, stats.first_error)
        return stats

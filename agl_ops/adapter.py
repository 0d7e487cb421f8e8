"""Spans -> RL transitions (LightningRL): one :class:`Triplet` per matched LLM call.

The proxy records every model call of an attempt as an LLM span holding the prompt
token ids and, per choice, the response token ids and their logprobs. A call that
answered with tool calls is a transition like any other (its response ids are the
call as the model wrote it); the called tools' names are in the metadata, and so is
the decoding constraint of a grammar-constrained call (``metadata["constraint"]``:
``{type, sha256, text}``, else None), so training can use the masked distribution it
was sampled from. The adapter
keeps the calls whose span name matches ``agent_match`` (the agent's nodes that are
being trained, e.g. ``write|rewrite``), and gives each one a share of the episode's
reward by a credit-assignment rule. Training never re-tokenises text: the ids are the
ones the model saw, so the policy gradient is taken on exactly what was sampled.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Literal

from agl_ops.types import Rollout, Span, SpanKind, Triplet

__all__ = [
    "CreditAssignment",
    "CREDIT_RULES",
    "credit_weights",
    "AdapterStats",
    "TripletAdapter",
    "episode_reward",
]

logger = logging.getLogger(__name__)


class CreditAssignment(str, Enum):
    """How the episode reward is shared among the matched calls of the episode."""

    FINAL = "final"  # every matched call gets the episode reward (LightningRL)
    DISCOUNTED = "discounted"  # call t of T gets gamma**(T-1-t) * reward: later calls count more
    LAST = "last"  # only the last matched call is credited, earlier ones get 0


def _final(n_turns: int, gamma: float) -> list[float]:
    return [1.0] * n_turns


def _discounted(n_turns: int, gamma: float) -> list[float]:
    return [gamma ** (n_turns - 1 - t) for t in range(n_turns)]


def _last(n_turns: int, gamma: float) -> list[float]:
    return [0.0] * (n_turns - 1) + [1.0] if n_turns else []


CREDIT_RULES: dict[CreditAssignment, Callable[[int, float], list[float]]] = {
    CreditAssignment.FINAL: _final,
    CreditAssignment.DISCOUNTED: _discounted,
    CreditAssignment.LAST: _last,
}


def credit_weights(rule: CreditAssignment | str, n_turns: int, gamma: float = 1.0) -> list[float]:
    """Per-call weights of the episode reward (call t gets ``weight[t] * reward``)."""
    try:
        key = CreditAssignment(rule)
    except ValueError:
        valid = ", ".join(c.value for c in CreditAssignment)
        raise ValueError(f"unknown credit assignment {rule!r}; valid: {valid}") from None
    return CREDIT_RULES[key](n_turns, gamma)


def episode_reward(rollout: Rollout, spans: Sequence[Span]) -> float | None:
    """The rollout's reward, else the last reward span's value, else None."""
    if rollout.reward is not None:
        return float(rollout.reward)
    for s in sorted(spans, key=lambda s: s.sequence_id, reverse=True):
        if s.kind is SpanKind.REWARD and s.attributes.get("reward") is not None:
            return float(s.attributes["reward"])
    return None


@dataclass
class AdapterStats:
    """Counters since the last reset, so every dropped or cut call is visible."""

    rollouts: int = 0
    llm_spans: int = 0
    matched_calls: int = 0
    triplets: int = 0
    missing_reward: int = 0  # rollouts skipped: no reward anywhere
    error_calls: int = 0  # matched calls that failed (span status error)
    no_token_ids: int = 0  # matched calls recorded without token ids
    empty_responses: int = 0
    truncated_prompts: int = 0
    truncated_responses: int = 0
    dropped_overlong: int = 0

    def as_metrics(self, prefix: str = "adapter/") -> dict[str, float]:
        return {f"{prefix}{k}": float(v) for k, v in asdict(self).items()}


def _constraint(span: Span) -> dict[str, str] | None:
    """The call's decoding constraint as the proxy recorded it (``{type, sha256, text}``),
    or None: a trainer replays the response under it to recompute the masked
    distribution the server sampled from."""
    c = span.attributes.get("constraint")
    if not isinstance(c, dict) or not c.get("type") or not isinstance(c.get("text"), str):
        return None
    return {"type": str(c["type"]), "sha256": str(c.get("sha256") or ""), "text": c["text"]}


class TripletAdapter:
    """LightningRL's triplet adapter.

    ``agent_match`` is a regex matched against the whole span name (``write|rewrite``
    selects exactly those two nodes, not ``rewrite_v2``); None keeps every LLM call.
    ``overlong='truncate'`` keeps the last ``max_prompt_length`` prompt tokens (those
    next to the response) and the first ``max_response_length`` response tokens (still
    exactly what was sampled); ``'drop'`` skips such calls. Rollouts without a reward
    are skipped unless ``missing_reward`` gives one.
    """

    def __init__(
        self,
        agent_match: str | None = None,
        *,
        credit: CreditAssignment | str = CreditAssignment.FINAL,
        gamma: float = 1.0,
        max_prompt_length: int | None = None,
        max_response_length: int | None = None,
        overlong: Literal["truncate", "drop"] = "truncate",
        missing_reward: float | None = None,
    ) -> None:
        if overlong not in ("truncate", "drop"):
            raise ValueError(f"overlong must be 'truncate' or 'drop', got {overlong!r}")
        credit_weights(credit, 0)  # validate the name now, not at the first rollout
        self.pattern = re.compile(agent_match) if agent_match else None
        self.credit = CreditAssignment(credit)
        self.gamma = gamma
        self.max_prompt_length = max_prompt_length
        self.max_response_length = max_response_length
        self.overlong = overlong
        self.missing_reward = missing_reward
        self.stats = AdapterStats()

    def reset_stats(self) -> AdapterStats:
        """Return the counters so far and start new ones (call once per training step)."""
        stats, self.stats = self.stats, AdapterStats()
        if stats.dropped_overlong or stats.truncated_prompts or stats.truncated_responses:
            logger.info(
                "adapter: %d prompts and %d responses truncated, %d calls dropped as over-long",
                stats.truncated_prompts, stats.truncated_responses, stats.dropped_overlong,
            )
        return stats

    def matches(self, span: Span) -> bool:
        return span.kind is SpanKind.LLM and (self.pattern is None or self.pattern.fullmatch(span.name) is not None)

    def adapt(self, rollout: Rollout, spans: Sequence[Span]) -> list[Triplet]:
        st = self.stats
        st.rollouts += 1
        ordered = sorted(spans, key=lambda s: s.sequence_id)
        st.llm_spans += sum(s.kind is SpanKind.LLM for s in ordered)
        calls = [s for s in ordered if self.matches(s)]
        st.matched_calls += len(calls)
        reward = episode_reward(rollout, ordered)
        if reward is None:
            reward = self.missing_reward
        if reward is None:
            st.missing_reward += 1
            logger.debug("rollout %s has no reward; its %d calls are skipped", rollout.rollout_id, len(calls))
            return []
        usable = [s for s in calls if self._usable(s)]
        weights = credit_weights(self.credit, len(usable), self.gamma)
        out: list[Triplet] = []
        for turn, (s, w) in enumerate(zip(usable, weights)):
            out.extend(self._triplets(rollout, s, turn, len(usable), reward, w))
        st.triplets += len(out)
        return out

    def _usable(self, span: Span) -> bool:
        if span.status == "error" or span.attributes.get("error"):
            self.stats.error_calls += 1
            return False
        if not span.attributes.get("prompt_token_ids") or not span.attributes.get("choices"):
            self.stats.no_token_ids += 1
            logger.warning("LLM span %s (%s) has no token ids: is the proxy asking for them?", span.span_id, span.name)
            return False
        return True

    def _triplets(
        self, rollout: Rollout, span: Span, turn: int, n_turns: int, reward: float, weight: float
    ) -> list[Triplet]:
        prompt = [int(t) for t in span.attributes["prompt_token_ids"]]
        constraint = _constraint(span)
        out = []
        for i, choice in enumerate(span.attributes["choices"]):
            response = [int(t) for t in (choice.get("token_ids") or [])]
            logprobs = choice.get("logprobs")
            if not response:
                self.stats.empty_responses += 1
                continue
            cut = self._fit(prompt, response, logprobs)
            if cut is None:
                continue
            p, r, lp, truncated = cut
            out.append(Triplet(
                rollout_id=rollout.rollout_id, attempt_id=span.attempt_id, span_name=span.name, turn=turn,
                prompt_ids=p, response_ids=r, response_logprobs=lp, reward=weight * reward,
                metadata={
                    "episode_reward": reward, "credit": weight, "n_turns": n_turns, "choice": i,
                    "span_id": span.span_id, "finish_reason": choice.get("finish_reason"),
                    "model_version": span.attributes.get("model_version"), "truncated": truncated,
                    "tool_calls": [(c.get("function") or {}).get("name") for c in choice.get("tool_calls") or []],
                    "constraint": constraint,
                },
            ))
        return out

    def _fit(
        self, prompt: list[int], response: list[int], logprobs: list[float] | None
    ) -> tuple[list[int], list[int], list[float] | None, bool] | None:
        long_p = self.max_prompt_length is not None and len(prompt) > self.max_prompt_length
        long_r = self.max_response_length is not None and len(response) > self.max_response_length
        if not (long_p or long_r):
            lp = [float(x) for x in logprobs] if logprobs is not None and len(logprobs) == len(response) else None
            return prompt, response, lp, False
        if self.overlong == "drop":
            self.stats.dropped_overlong += 1
            return None
        if long_p:
            self.stats.truncated_prompts += 1
            prompt = prompt[len(prompt) - self.max_prompt_length :]  # type: ignore[operator]
        if long_r:
            self.stats.truncated_responses += 1
            response = response[: self.max_response_length]
            logprobs = logprobs[: self.max_response_length] if logprobs is not None else None
        lp = [float(x) for x in logprobs] if logprobs is not None and len(logprobs) == len(response) else None
        return prompt, response, lp, True

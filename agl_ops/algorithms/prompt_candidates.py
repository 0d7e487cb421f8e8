"""What both prompt optimizers share: candidates, their validation, scoring through the
runners, the optimizer LLM, and the final pick on val.

A :class:`Candidate` is a full prompt set (``{resource name: template}``) plus where it
came from (parent, round, trial parameters) and its scores. Scoring publishes the
candidate as a resources set (the other resources, such as ``main_llm``, are the
context's initial ones) and rolls the tasks out through the Trainer's runners, so an
optimizer never calls the agent itself. Many candidates are queued at once and waited
for under one progress bar: the runners never idle between candidates.

The final pick (:func:`select_on_val`) always scores the baseline on the same val tasks
and keeps it unless a candidate beats it by more than ``min_improvement``: whatever
the optimizer LLM writes, a worse prompt never replaces a better one.
"""

from __future__ import annotations

import json
import logging
import os
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from agl_ops.algorithms.base import AlgorithmContext, wait_with_progress
from agl_ops.types import SETTINGS_RESOURCE, LLM, PromptTemplate, Resource, Rollout, RolloutMode, Settings, Span, SpanKind

__all__ = [
    "Candidate",
    "Evaluation",
    "RolloutDigest",
    "PromptOptResult",
    "CandidateScorer",
    "OptimizerLLM",
    "template_fields",
    "check_template",
    "load_optimizer_prompt",
    "ScoreCandidates",
    "select_on_val",
    "accuracy",
    "timer",
]

logger = logging.getLogger(__name__)


class Candidate(BaseModel):
    """One prompt set tried by an optimizer, with its lineage and scores."""

    id: str
    prompts: dict[str, str]
    settings: dict[str, Any] = Field(default_factory=dict)  # the agent's Settings values (demos, decoding...)
    parent_id: str | None = None
    origin: str = "baseline"  # baseline | edit | trial | seed
    round: int = 0
    config: dict[str, Any] = Field(default_factory=dict)  # search trial parameters, critique...
    minibatch_scores: list[float] = Field(default_factory=list)  # mean reward of each minibatch evaluation
    val_score: float | None = None
    rejected: str | None = None  # why an edit was refused (never scored)

    @property
    def mean_score(self) -> float:
        return sum(self.minibatch_scores) / len(self.minibatch_scores) if self.minibatch_scores else 0.0

    def row(self) -> dict[str, Any]:
        """A flat row for the candidates table artifact."""
        return {
            "id": self.id, "parent": self.parent_id or "", "origin": self.origin, "round": self.round,
            "minibatch_mean": round(self.mean_score, 4) if self.minibatch_scores else None,
            "minibatch_scores": json.dumps([round(s, 4) for s in self.minibatch_scores]),
            "n_evals": len(self.minibatch_scores), "val": self.val_score, "rejected": self.rejected or "",
            "config": json.dumps(self.config, default=str)[:2000], **{f"prompt.{k}": v for k, v in self.prompts.items()},
            **{f"setting.{k}": json.dumps(v, default=str)[:200] for k, v in self.settings.items() if k != "demos"},
        }


class RolloutDigest(BaseModel):
    """What an optimizer may read about one finished rollout (never val/test answers)."""

    task: dict[str, Any]
    reward: float
    failed: bool  # rollout error (no reward), not a wrong answer
    outcome: dict[str, Any] = Field(default_factory=dict)  # the agent's MESSAGE span attributes
    replies: dict[str, str] = Field(default_factory=dict)  # raw model reply per LLM span name (first call)
    error: str | None = None


@dataclass
class Evaluation:
    candidate_id: str
    mode: str
    rewards: list[float]
    digests: list[RolloutDigest] = field(default_factory=list)

    @property
    def score(self) -> float:
        return accuracy(self.rewards)


def accuracy(rewards: Sequence[float]) -> float:
    return sum(rewards) / len(rewards) if rewards else 0.0


class PromptOptResult(BaseModel):
    """What an optimizer returns (and what the CLI records)."""

    algorithm: str
    baseline: Candidate
    best: Candidate
    improved: bool
    candidates: list[Candidate]
    history: list[dict[str, float]] = Field(default_factory=list)  # per round / trial metrics
    val_rewards: dict[str, list[float]] = Field(default_factory=dict)  # candidate id -> per val task
    val_task_ids: list[str] = Field(default_factory=list)
    elapsed_s: float = 0.0
    stopped: str | None = None


# -- templates ------------------------------------------------------------------------------

def template_fields(template: str) -> set[str]:
    """Placeholder names of an f-string template (raises ValueError if it does not parse)."""
    return {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}


def check_template(template: str, required: set[str] | frozenset[str], *, max_chars: int,
                   min_chars: int = 20, optional: set[str] | frozenset[str] = frozenset()) -> str | None:
    """Why ``template`` cannot be used (None when it can): every required placeholder
    once or more (``optional`` ones may be left out), no other placeholder, plain
    ``{name}`` fields only (so it stores in MLflow's registry), and a length in bounds."""
    if not isinstance(template, str) or not template.strip():
        return "empty"
    if len(template) > max_chars:
        return f"too long ({len(template)} > {max_chars} chars)"
    if len(template.strip()) < min_chars:
        return f"too short ({len(template.strip())} chars)"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"not a valid template ({exc}); literal braces must be doubled"
    names = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            return f"placeholder {{{name}}} is not a plain field"
        names.add(name)
    missing, unknown = set(required) - set(optional) - names, names - set(required) - set(optional)
    if missing:
        return f"placeholder(s) missing: {', '.join('{' + m + '}' for m in sorted(missing))}"
    if unknown:
        return f"unknown placeholder(s): {', '.join('{' + u + '}' for u in sorted(unknown))}"
    try:
        from agl_ops.tracking.prompts import PromptConversionError, to_mlflow_template

        to_mlflow_template(template)
    except PromptConversionError as exc:
        return f"cannot be stored in the prompt registry: {exc}"
    return None


def load_optimizer_prompt(name: str, prompts_dir: str | Path | None = None) -> str:
    """An optimizer prompt file: ``prompts_dir/name`` when given and present, else the
    shipped ``agl_ops/algorithms/prompts/name``."""
    if prompts_dir:
        path = Path(prompts_dir) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return importlib_resources.files("agl_ops.algorithms").joinpath("prompts", name).read_text(encoding="utf-8")


# -- scoring --------------------------------------------------------------------------------

def _digest(task: Any, rollout: Rollout, spans: Sequence[Span]) -> RolloutDigest:
    outcome: dict[str, Any] = {}
    replies: dict[str, str] = {}
    for s in spans:
        if s.kind is SpanKind.MESSAGE:
            outcome = {k: v for k, v in s.attributes.items() if isinstance(v, (str, int, float, bool))}
        elif s.kind is SpanKind.LLM and s.name not in replies:
            choices = s.attributes.get("choices") or []
            if choices:
                replies[s.name] = str(choices[0].get("text") or "")
    reward = float(rollout.reward) if rollout.reward is not None else 0.0
    return RolloutDigest(task=dict(task) if isinstance(task, Mapping) else {"input": task}, reward=reward,
                         failed=rollout.reward is None, outcome=outcome, replies=replies, error=rollout.error)


class CandidateScorer:
    """Scores candidates through an :class:`AlgorithmContext` (publishes each candidate
    once, caches its resources id). ``sampling`` overrides ``main_llm``'s sampling
    parameters (e.g. max_tokens) for every candidate alike."""

    def __init__(self, ctx: AlgorithmContext, *, sampling: Mapping[str, Any] | None = None,
                 keep_digests: bool = True) -> None:
        if ctx.resources is None:
            raise ValueError("prompt optimization needs initial resources (main_llm and the prompts)")
        self.ctx = ctx
        self.base: dict[str, Resource] = dict(ctx.resources.resources)
        llm = self.base.get("main_llm")
        if sampling and isinstance(llm, LLM):
            self.base["main_llm"] = llm.model_copy(update={"sampling_parameters": {**llm.sampling_parameters, **sampling}})
        self.keep_digests = keep_digests
        self._published: dict[str, str] = {}
        self.rollouts_run = 0

    def baseline_settings(self) -> dict[str, Any]:
        """The initial agent settings (the ``agent_settings`` resource's values, or {})."""
        found = self.base.get(SETTINGS_RESOURCE)
        return dict(found.values) if isinstance(found, Settings) else {}

    def baseline_prompts(self, names: Sequence[str] | None = None) -> dict[str, str]:
        """The initial prompt templates (all PromptTemplate resources, or ``names``)."""
        out = {k: v.template for k, v in self.base.items() if isinstance(v, PromptTemplate)}
        return {k: out[k] for k in names} if names is not None else out

    def resources_id(self, candidate: Candidate) -> str:
        if candidate.id not in self._published:
            resources = dict(self.base)
            resources.update({k: PromptTemplate(template=t) for k, t in candidate.prompts.items()})
            if candidate.settings:
                resources[SETTINGS_RESOURCE] = Settings(values=candidate.settings)
            update = self.ctx.store.add_resources(resources)
            self._published[candidate.id] = update.resources_id
        return self._published[candidate.id]

    def score_many(self, candidates: Sequence[Candidate], tasks: Sequence[Any], *, mode: RolloutMode = "train",
                   description: str = "scoring") -> list[Evaluation]:
        """Every candidate on every task, all queued at once, one progress bar."""
        tasks = list(tasks)
        queued: list[list[str]] = []
        for cand in candidates:
            rollouts = self.ctx.store.enqueue_rollouts(
                tasks, mode=mode, resources_id=self.resources_id(cand), max_attempts=self.ctx.max_attempts,
                timeout_s=self.ctx.timeout_s, metadata={"candidate": cand.id})
            queued.append([r.rollout_id for r in rollouts])
        all_ids = [i for ids in queued for i in ids]
        done = {r.rollout_id: r for r in wait_with_progress(self.ctx.store, all_ids, description, self.ctx.show_progress)}
        self.rollouts_run += len(all_ids)
        out = []
        for cand, ids in zip(candidates, queued):
            rollouts = [done[i] for i in ids]
            rewards = [float(r.reward) if r.reward is not None else 0.0 for r in rollouts]
            digests = [_digest(t, r, self.ctx.spans(r)) for t, r in zip(tasks, rollouts)] if self.keep_digests else []
            out.append(Evaluation(cand.id, mode, rewards, digests))
        return out

    def score(self, candidate: Candidate, tasks: Sequence[Any], *, mode: RolloutMode = "train",
              description: str = "scoring") -> Evaluation:
        return self.score_many([candidate], tasks, mode=mode, description=description)[0]


class ScoreCandidates:
    """An algorithm that only scores: every candidate on the tasks it is run with, side
    by side through one runner pool (a final test report of baseline vs best). ``run``
    returns one reward list per candidate."""

    name = "score"

    def __init__(self, candidates: Sequence[Candidate], *, mode: RolloutMode = "test",
                 sampling: Mapping[str, Any] | None = None, description: str = "scoring") -> None:
        self.candidates, self.mode, self.sampling, self.description = list(candidates), mode, sampling, description

    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Any = None) -> list[list[float]]:
        scorer = CandidateScorer(ctx, sampling=self.sampling, keep_digests=False)
        evals = scorer.score_many(self.candidates, list(train_dataset), mode=self.mode, description=self.description)
        return [ev.rewards for ev in evals]


def select_on_val(scorer: CandidateScorer, baseline: Candidate, finalists: Sequence[Candidate],
                  val_tasks: Sequence[Any], *, min_improvement: float = 0.0,
                  description: str = "val selection") -> tuple[Candidate, dict[str, list[float]]]:
    """Score the baseline and the finalists on the same val tasks; the best finalist wins
    only if it beats the baseline by more than ``min_improvement`` (ties: the earlier)."""
    pool = [baseline] + [c for c in finalists if c.id != baseline.id]
    evals = scorer.score_many(pool, val_tasks, mode="val", description=description)
    rewards = {}
    for cand, ev in zip(pool, evals):
        cand.val_score = ev.score
        rewards[cand.id] = ev.rewards
    best = baseline
    for cand in pool[1:]:
        if cand.val_score is not None and cand.val_score > (best.val_score or 0.0) and \
                cand.val_score > (baseline.val_score or 0.0) + min_improvement:
            best = cand
    logger.info("val selection: baseline %.3f, best %s %.3f", baseline.val_score or 0.0, best.id, best.val_score or 0.0)
    return best, rewards


# -- the optimizer LLM ----------------------------------------------------------------------

class OptimizerLLM:
    """Any OpenAI-compatible chat endpoint; ``complete(prompt) -> text``.

    ``AGL_OPTIMIZER_ENDPOINT`` / ``AGL_OPTIMIZER_MODEL`` override the configured values,
    so a bigger model can critique and edit without touching params.yaml.
    """

    def __init__(self, endpoint: str, model: str | None = None, *, api_key: str | None = None,
                 temperature: float = 0.7, max_tokens: int = 384, timeout_s: float = 180.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.model = model
        self.api_key = api_key or "agl-ops"
        self.temperature, self.max_tokens, self.timeout_s = temperature, max_tokens, timeout_s
        self.calls = 0

    @classmethod
    def from_params(cls, params: Any, default_endpoint: str | None, default_model: str | None = None) -> OptimizerLLM:
        endpoint = os.environ.get("AGL_OPTIMIZER_ENDPOINT") or params.endpoint or default_endpoint
        if not endpoint:
            raise ValueError("no optimizer endpoint: set prompt_opt.optimizer.endpoint or AGL_OPTIMIZER_ENDPOINT")
        model = os.environ.get("AGL_OPTIMIZER_MODEL") or params.model
        if model is None and endpoint == default_endpoint:
            model = default_model
        return cls(endpoint, model, api_key=os.environ.get(params.api_key_env) or None,
                   temperature=params.temperature, max_tokens=params.max_tokens, timeout_s=params.timeout_s)

    @classmethod
    def for_scorer(cls, params: Any, scorer: CandidateScorer) -> OptimizerLLM:
        """From params, defaulting to the agent's own ``main_llm`` endpoint and model."""
        llm = scorer.base.get("main_llm")
        if isinstance(llm, LLM):
            return cls.from_params(params, llm.get_base_url(), llm.model)
        return cls.from_params(params, None)

    def _model(self) -> str:
        if self.model is None:
            from agl_ops.llm.client import discover_model

            self.model = discover_model(self.endpoint)
        return self.model

    def complete(self, prompt: str, *, temperature: float | None = None, max_tokens: int | None = None,
                 seed: int | None = None) -> str:
        from openai import OpenAI

        base = self.endpoint if self.endpoint.endswith("/v1") else f"{self.endpoint}/v1"
        t0 = time.perf_counter()
        with OpenAI(base_url=base, api_key=self.api_key, timeout=self.timeout_s, max_retries=1) as client:
            extra = {"seed": seed} if seed is not None else {}
            response = client.chat.completions.create(
                model=self._model(), messages=[{"role": "user", "content": prompt}],
                temperature=self.temperature if temperature is None else temperature,
                max_tokens=max_tokens or self.max_tokens, extra_headers={"x-agl-span-name": "optimizer"}, **extra)
        self.calls += 1
        text = response.choices[0].message.content or ""
        logger.debug("optimizer call %d: %.1fs, %d chars", self.calls, time.perf_counter() - t0, len(text))
        return text


def timer() -> Callable[[], float]:
    start = time.perf_counter()
    return lambda: time.perf_counter() - start

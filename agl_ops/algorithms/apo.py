"""APO: prompt optimization with textual gradients and a beam (ProTeGi, Agent Lightning's APO).

Each round: pick the beam prompts to expand with UCB on their minibatch scores; for
each, show the optimizer LLM failed rollouts of that prompt and ask for a critique
(the "textual gradient"), then ask it ``branch_factor`` times to edit the prompt from
the critique; validate every edit (the baseline's placeholders kept, no new ones,
length bounded, storable in the registry); score the parents and the valid children on
a fresh train minibatch; keep the ``beam_width`` best by mean minibatch score. At the
end the beam and the baseline are scored on the same val tasks and the baseline is
kept unless a candidate beats it: a bad edit cannot replace a better prompt.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from agl_ops.algorithms.base import AlgorithmContext
from agl_ops.algorithms.prompt_candidates import (
    Candidate,
    CandidateScorer,
    Evaluation,
    OptimizerLLM,
    PromptOptResult,
    RolloutDigest,
    check_template,
    load_optimizer_prompt,
    select_on_val,
    template_fields,
    timer,
)
from agl_ops.algorithms.config import PromptOptParams

__all__ = ["APO", "ucb_pick", "extract_prompt", "repair_placeholders", "format_digest", "outcome_attributes",
           "update_beam"]

logger = logging.getLogger(__name__)

_PROMPT_TAG = re.compile(r"<prompt>\s*(.*?)\s*(?:</prompt>|\Z)", re.S | re.I)
_FENCE = re.compile(r"```[a-z]*\n(.*?)(?:```|\Z)", re.S)
_HIDDEN_TASK_KEYS = frozenset({"query", "id", "gold", "answer", "reference", "label"})

DescribeFn = Callable[..., str]  # (digest, step, *, show_reference) -> text


def ucb_pick(beam: Sequence[Candidate], k: int, c: float) -> list[Candidate]:
    """The ``k`` beam prompts with the highest upper confidence bound on their mean
    minibatch score (ties: the older prompt). Unscored prompts come first."""
    total = sum(len(b.minibatch_scores) for b in beam)

    def bound(cand: Candidate) -> float:
        n = len(cand.minibatch_scores)
        if n == 0:
            return math.inf
        return cand.mean_score + c * math.sqrt(math.log(total + 1) / n)

    order = sorted(range(len(beam)), key=lambda i: (-bound(beam[i]), i))
    return [beam[i] for i in order[:k]]


def update_beam(beam: Sequence[Candidate], children: Sequence[Candidate], width: int) -> list[Candidate]:
    """The ``width`` best of the beam and the new children by mean minibatch score; on a
    tie the incumbent stays (a child must be strictly better to displace it)."""
    pool = list(beam) + [c for c in children if c.minibatch_scores]
    order = sorted(range(len(pool)), key=lambda i: (-pool[i].mean_score, i))
    return [pool[i] for i in order[:width]]


def extract_prompt(reply: str) -> str:
    """The edited prompt in the optimizer's reply: between <prompt> tags, else the first
    fenced block, else the whole reply."""
    match = _PROMPT_TAG.search(reply)
    if match and match.group(1).strip():
        return match.group(1).strip()
    match = _FENCE.search(reply)
    if match and match.group(1).strip():
        return match.group(1).strip()
    return reply.strip()


def repair_placeholders(text: str, required: set[str]) -> str:
    """Benign fixes of an edit: ``{{question}}`` / ``{ question }`` for a required field
    become ``{question}``; any other single-brace text becomes literal (doubled)."""
    for name in required:
        text = re.sub(r"\{\{\s*" + name + r"\s*\}\}|\{\s+" + name + r"\s*\}|\{" + name + r"\s+\}", "{" + name + "}", text)
    keep = {"{" + n + "}" for n in required}
    out, i = [], 0
    while i < len(text):
        if text.startswith("{{", i) or text.startswith("}}", i):
            out.append(text[i:i + 2])
            i += 2
            continue
        field = next((k for k in keep if text.startswith(k, i)), None)
        if field:
            out.append(field)
            i += len(field)
        elif text[i] in "{}":
            out.append(text[i] * 2)
            i += 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def outcome_attributes(outcome: dict[str, Any], max_chars: int = 400) -> list[str]:
    """Lines for what the agent recorded as the outcome (any task): its attributes."""
    lines = [f"{k}: {str(v)[:max_chars]}" for k, v in outcome.items() if k != "reward"]
    return lines + ["Outcome: wrong result"]


def format_digest(d: RolloutDigest, step: str, *, show_reference: bool, max_chars: int = 400,
                  hidden: frozenset[str] = _HIDDEN_TASK_KEYS, reference_key: str = "answer",
                  reference_label: str = "A correct answer",
                  outcome_lines: Callable[[dict[str, Any]], list[str]] = outcome_attributes) -> str:
    """One failed rollout as the optimizer sees it: the task without its ``hidden``
    fields, the model's reply, the outcome (``outcome_lines``), and, from train tasks
    only, the reference answer. A task adapts it with its keys (``functools.partial``)."""
    task = d.task.get("question") or json.dumps({k: v for k, v in d.task.items() if k not in hidden}, default=str)
    lines = [f"Task: {str(task)[:max_chars]}"]
    if step in d.replies:
        lines.append(f"Model reply: {d.replies[step][:max_chars]!r}")
    if d.failed:
        lines.append(f"Outcome: the run crashed ({(d.error or '').splitlines()[0][:200] if d.error else 'no reward'})")
    else:
        lines += outcome_lines(d.outcome)
    if show_reference and d.task.get(reference_key):
        lines.append(f"{reference_label}: {d.task[reference_key]}")
    return "\n".join(lines)


class APO:
    """Beam search over prompt edits proposed by an optimizer LLM (see module docstring).

    ``optimizer`` defaults to the agent's own model endpoint (``main_llm``) unless
    ``params.optimizer`` or ``AGL_OPTIMIZER_ENDPOINT`` names another one. ``describe``
    turns a failed rollout into the text a critique shows (the SQL task's:
    :func:`agl_ops.tasks.sql.prompt_space.describe_sql_failure`); ``optional_fields``
    names, per prompt, the placeholders an edit may leave out.
    """

    name = "apo"

    def __init__(self, params: PromptOptParams | None = None, *, optimizer: OptimizerLLM | None = None,
                 sink: Any = None, seed: int = 0, describe: DescribeFn = format_digest,
                 optional_fields: Mapping[str, frozenset[str]] | None = None) -> None:
        self.params = params or PromptOptParams()
        self.describe = describe
        self.optional_fields = dict(optional_fields or {})  # per prompt: placeholders an edit may drop
        self.optimizer = optimizer
        self.sink = sink
        self.seed = seed if self.params.seed is None else self.params.seed
        self._next_id = 0

    def _new_id(self) -> str:
        cid = f"c{self._next_id}"
        self._next_id += 1
        return cid

    def _optimizer(self, scorer: CandidateScorer) -> OptimizerLLM:
        if self.optimizer is None:
            self.optimizer = OptimizerLLM.for_scorer(self.params.optimizer, scorer)
        return self.optimizer

    def _log(self, history: list[dict[str, float]], step: int, metrics: dict[str, float]) -> None:
        history.append({"round": float(step), **metrics})
        if self.sink is not None:
            self.sink.log_metrics(metrics, step=step)

    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None) -> PromptOptResult:
        p, a = self.params, self.params.apo
        elapsed = timer()
        rng = random.Random(self.seed)
        scorer = CandidateScorer(ctx, sampling={"max_tokens": p.max_tokens, "temperature": p.temperature})
        baseline = Candidate(id=self._new_id(), prompts=scorer.baseline_prompts(), settings=scorer.baseline_settings())
        missing = [t for t in a.targets if t not in baseline.prompts]
        if missing:
            raise ValueError(f"APO targets {missing} are not prompt resources (have {sorted(baseline.prompts)})")
        required = {t: template_fields(baseline.prompts[t]) for t in a.targets}
        train = list(train_dataset)
        if not train:
            raise ValueError("APO needs train tasks")
        val = list(val_dataset or [])[: p.val_limit] if p.val_limit else list(val_dataset or [])
        optimizer = self._optimizer(scorer)
        candidates, history = [baseline], []
        last: dict[str, Evaluation] = {}

        minibatch = rng.sample(train, min(p.minibatch_size, len(train)))
        ev = scorer.score(baseline, minibatch, description=f"APO round 0/{a.rounds}: baseline")
        baseline.minibatch_scores.append(ev.score)
        last[baseline.id] = ev
        beam = [baseline]
        self._log(history, 0, {"apo/beam_best": ev.score, "apo/beam_size": 1.0, "apo/round_best": ev.score})
        stopped = None
        for rnd in range(1, a.rounds + 1):
            if p.max_time_s and elapsed() > p.max_time_s:
                stopped = f"max_time_s ({p.max_time_s:.0f}s) reached before round {rnd}"
                break
            parents = ucb_pick(beam, a.expand, a.ucb_c)
            children, rejected = self._expand(parents, last, required, candidates, optimizer, rng, rnd)
            minibatch = rng.sample(train, min(p.minibatch_size, len(train)))
            scored = parents + children
            evals = scorer.score_many(scored, minibatch, description=(
                f"APO round {rnd}/{a.rounds}: {len(parents)} parent(s) + {len(children)} edit(s)"))
            for cand, ev in zip(scored, evals):
                cand.minibatch_scores.append(ev.score)
                last[cand.id] = ev
            beam = update_beam(beam, children, a.beam_width)
            round_best = max((ev.score for ev in evals), default=0.0)
            self._log(history, rnd, {
                "apo/beam_best": beam[0].mean_score, "apo/beam_size": float(len(beam)), "apo/round_best": round_best,
                "apo/children": float(len(children)), "apo/rejected": float(rejected),
                "apo/children_best": max((last[c.id].score for c in children), default=0.0),
                "apo/rollouts": float(scorer.rollouts_run)})
            logger.info("APO round %d: beam %s", rnd, ", ".join(f"{c.id}={c.mean_score:.3f}" for c in beam))
        if val:
            best, val_rewards = select_on_val(scorer, baseline, beam, val, min_improvement=p.min_improvement,
                                              description=f"APO val selection: {len({baseline.id, *[b.id for b in beam]})} prompt(s)")
        else:
            best, val_rewards = (beam[0] if beam[0].mean_score > baseline.mean_score else baseline), {}
        self._log(history, a.rounds + 1, {"apo/val_baseline": baseline.val_score or 0.0, "apo/val_best": best.val_score or 0.0})
        return PromptOptResult(
            algorithm=self.name, baseline=baseline, best=best, improved=best.id != baseline.id, candidates=candidates,
            history=history, val_rewards=val_rewards, val_task_ids=[str(t.get("id", i)) if isinstance(t, dict) else str(i)
                                                                    for i, t in enumerate(val)],
            elapsed_s=round(elapsed(), 2), stopped=stopped)

    def _expand(self, parents: Sequence[Candidate], last: dict[str, Evaluation], required: dict[str, set[str]],
                candidates: list[Candidate], optimizer: OptimizerLLM, rng: random.Random,
                rnd: int) -> tuple[list[Candidate], int]:
        """Critique each parent from its failures and ask for edits; returns the valid
        children (already appended to ``candidates``, as are the rejected ones)."""
        p, a = self.params, self.params.apo
        gradient_tpl = load_optimizer_prompt("apo_gradient.txt", p.optimizer.prompts_dir)
        edit_tpl = load_optimizer_prompt("apo_edit.txt", p.optimizer.prompts_dir)
        seen = {json.dumps(c.prompts, sort_keys=True) for c in candidates}
        children: list[Candidate] = []
        rejected = 0
        for parent in parents:
            failures = [d for d in last[parent.id].digests if d.reward < 1.0]
            if not failures:
                logger.info("APO: %s solved its whole minibatch; nothing to critique", parent.id)
                continue
            role = a.targets[(rnd + len(children)) % len(a.targets)]
            step = role.removesuffix("_prompt")
            shown = rng.sample(failures, min(a.n_failures, len(failures)))
            examples = "\n\n".join(f"Example {i + 1}:\n{self.describe(d, step, show_reference=a.show_reference)}"
                                   for i, d in enumerate(shown))
            critique = optimizer.complete(gradient_tpl.format(prompt=parent.prompts[role], n=len(shown), examples=examples)).strip()
            placeholders = ", ".join("{" + f + "}" for f in sorted(required[role]))
            for _ in range(a.branch_factor):
                reply = optimizer.complete(edit_tpl.format(prompt=parent.prompts[role], critique=critique or "(none)",
                                                           placeholders=placeholders))
                text = repair_placeholders(extract_prompt(reply), required[role])
                child = Candidate(id=self._new_id(), prompts={**parent.prompts, role: text}, settings=parent.settings,
                                  parent_id=parent.id,
                                  origin="edit", round=rnd, config={"role": role, "critique": critique[:1500]})
                key = json.dumps(child.prompts, sort_keys=True)
                child.rejected = check_template(text, required[role], max_chars=p.max_prompt_chars,
                                                optional=self.optional_fields.get(role, frozenset())) or \
                    ("same as an earlier prompt" if key in seen else None)
                candidates.append(child)
                if child.rejected:
                    rejected += 1
                    logger.info("APO: edit %s of %s rejected: %s", child.id, parent.id, child.rejected)
                    continue
                seen.add(key)
                children.append(child)
        return children, rejected

"""Prompt search: an Optuna (TPE) study over one prompt of an agent.

The task brings the search space (a :class:`SearchSpace`: for the SQL agent,
:class:`agl_ops.tasks.sql.prompt_space.SqlPromptSpace`, instructions x demonstrations x
schema rendering); this module runs the study. A trial's value is the execution
accuracy on one fixed train minibatch (disjoint from the tasks the space's
demonstrations come from), scored in two chunks so a trial already below the median
after the first is pruned.

The study lives in SQLite (``search.study_path``). The space's material (demo pool,
instructions...) and the minibatch are stored on the study when it is created, so
running the same command again after an interruption resumes it: finished trials are
kept, a trial cut off mid-way is marked failed and redone, and only the missing trials
run. The best trials are confirmed on val against the baseline (:func:`select_on_val`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from agl_ops.algorithms.base import AlgorithmContext
from agl_ops.algorithms.config import PromptOptParams
from agl_ops.algorithms.prompt_candidates import (
    Candidate,
    CandidateScorer,
    OptimizerLLM,
    PromptOptResult,
    accuracy,
    check_template,
    select_on_val,
    template_fields,
    timer,
)
from agl_ops.types import LLM

__all__ = ["PromptSearch", "SearchSetup", "SearchSpace", "study_name_for"]

logger = logging.getLogger(__name__)

_SETUP_ATTR = "agl_setup"


class SearchSpace(Protocol):
    """What a task brings to the search: the prompt it searches (``target``) and the
    dimensions of one trial."""

    target: str

    def fingerprint(self) -> dict[str, Any]:
        """The space itself, JSON-able: part of the study name, so a changed space starts a fresh study."""
        ...

    def prepare(self, successes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], labeled: Sequence[Any],
                rng: random.Random, complete: Callable[..., str] | None, seed: int = 0) -> dict[str, Any]:
        """The material trials choose from, as JSON stored on the study. ``successes``:
        (task, outcome attributes) of train rollouts the baseline solved; ``labeled``:
        the other train tasks (never the scoring minibatch); ``complete``: the optimizer
        LLM (``complete(prompt, seed=)``), or None."""
        ...

    def seed_trials(self, state: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Parameters of the first trials to enqueue (e.g. a baseline-like layout)."""
        ...

    def suggest(self, trial: Any, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
        """One point of the space: the template (None: the baseline's own, only the
        settings change), the agent settings and the trial's config."""
        ...

    def settings(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The agent settings of a trial's config (a resumed study rebuilds them)."""
        ...

    def placeholders(self, config: Mapping[str, Any], required: set[str]) -> set[str]:
        """The fields a trial's template must have (the baseline's are ``required``)."""
        ...


class SearchSetup:
    """What a study is created with and a resumed run must reuse: the space's material,
    the scoring minibatch (train indices) and the baseline's bootstrap accuracy."""

    def __init__(self, space: dict[str, Any], minibatch: list[int], minibatch_ids: list[str],
                 baseline_score: float | None) -> None:
        self.space, self.minibatch, self.minibatch_ids, self.baseline_score = space, minibatch, minibatch_ids, baseline_score

    def to_json(self) -> str:
        return json.dumps({"space": self.space, "minibatch": self.minibatch, "minibatch_ids": self.minibatch_ids,
                           "baseline_score": self.baseline_score})

    @classmethod
    def from_json(cls, text: str) -> SearchSetup:
        d = json.loads(text)
        return cls(dict(d["space"]), list(d["minibatch"]), list(d["minibatch_ids"]), d.get("baseline_score"))


def _task_id(task: Any, index: int) -> str:
    return str(task.get("id", index)) if isinstance(task, dict) else str(index)


def study_name_for(params: PromptOptParams, space: SearchSpace, baseline: dict[str, str], train: Sequence[Any],
                   model: str | None) -> str:
    """A name that changes whenever the study's setup would: the data, the model, the
    baseline prompts, the search parameters (not the trial count) and the search space
    itself, so a resumed study never mixes trials of two different spaces."""
    s = params.search
    key = {"search": s.model_dump(exclude={"n_trials", "study_path", "study_name", "confirm_top"}),
           "space": space.fingerprint(), "minibatch_size": params.minibatch_size, "max_tokens": params.max_tokens,
           "temperature": params.temperature, "seed": params.seed, "target": space.target, "model": model,
           "baseline": baseline, "train": [_task_id(t, i) for i, t in enumerate(train)]}
    digest = hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"prompt-search-{digest}"


def _repeat_of(trial: Any) -> str | None:
    """Why ``trial`` need not be scored: the sampler drew the exact point of an earlier
    scored trial (TPE does on small spaces); scoring it again would spend a trial's
    rollouts on a known answer and enter the same candidate twice into selection."""
    import optuna

    for earlier in trial.study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)):
        if earlier.number != trial.number and earlier.params == trial.params:
            return f"a repeat of trial {earlier.number}"
    return None


class PromptSearch:
    """Optuna TPE search over the task's ``space`` (see the module docstring).
    ``callbacks`` are passed to ``study.optimize``."""

    name = "search"

    def __init__(self, params: PromptOptParams | None = None, *, space: SearchSpace,
                 optimizer: OptimizerLLM | None = None, sink: Any = None, seed: int = 0,
                 callbacks: Sequence[Callable[[Any, Any], None]] = ()) -> None:
        self.params = params or PromptOptParams()
        self.space = space
        self.optimizer = optimizer
        self.sink = sink
        self.seed = seed if self.params.seed is None else self.params.seed
        self.target = space.target
        self.callbacks = list(callbacks)

    # -- study -------------------------------------------------------------------------------
    def _study(self, name: str) -> Any:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        path = Path(self.params.search.study_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        n = self.params.search.n_trials
        sampler = optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=max(2, n // 3))
        pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0) if self.params.search.prune \
            else optuna.pruners.NopPruner()
        return optuna.create_study(storage=f"sqlite:///{path.resolve()}", study_name=name, direction="maximize",
                                   sampler=sampler, pruner=pruner, load_if_exists=True)

    def _setup(self, study: Any, scorer: CandidateScorer, baseline: Candidate, train: list[Any],
               rng: random.Random) -> SearchSetup:
        p, s = self.params, self.params.search
        if _SETUP_ATTR in study.user_attrs:
            setup = SearchSetup.from_json(study.user_attrs[_SETUP_ATTR])
            ids = [_task_id(train[i], i) if i < len(train) else None for i in setup.minibatch]
            if ids != setup.minibatch_ids:
                raise ValueError(f"study {study.study_name} was made with other train data; set a new study_name")
            logger.info("resuming study %s: %d trial(s) on record", study.study_name, len(study.trials))
            return setup
        order = list(range(len(train)))
        rng.shuffle(order)
        minibatch = order[: p.minibatch_size]
        boot_idx = order[p.minibatch_size: p.minibatch_size + s.bootstrap_size]
        successes, baseline_score = [], None
        if boot_idx:
            ev = scorer.score(baseline, [train[i] for i in boot_idx], description="search: bootstrapping demos (baseline)")
            baseline_score = ev.score
            successes = [(d.task, d.outcome) for d in ev.digests if d.reward >= 1.0]
        labeled = [train[i] for i in order[p.minibatch_size:]]
        # the optimizer LLM is made on first use, inside the space's own error handling
        complete = (lambda prompt, **kw: self._optimizer(scorer).complete(prompt, **kw)) if s.proposed_instructions else None
        state = self.space.prepare(successes, labeled, rng, complete, seed=self.seed)
        setup = SearchSetup(state, minibatch, [_task_id(train[i], i) for i in minibatch], baseline_score)
        study.set_user_attr(_SETUP_ATTR, setup.to_json())
        if s.seed_trials:
            for params in self.space.seed_trials(state):
                study.enqueue_trial(params)
        return setup

    def _optimizer(self, scorer: CandidateScorer) -> OptimizerLLM:
        if self.optimizer is None:
            self.optimizer = OptimizerLLM.for_scorer(self.params.optimizer, scorer)
        return self.optimizer

    # -- trials ------------------------------------------------------------------------------
    def _objective(self, scorer: CandidateScorer, setup: SearchSetup, train: list[Any], baseline: Candidate,
                   required: set[str]) -> Callable[[Any], float]:
        import optuna

        n_trials = self.params.search.n_trials
        tasks = [train[i] for i in setup.minibatch]
        n_chunks = 2 if self.params.search.prune and len(tasks) >= 4 else 1
        chunks = [tasks[k::n_chunks] for k in range(n_chunks)]

        def objective(trial: Any) -> float:
            template, settings, config = self.space.suggest(trial, setup.space)
            template = baseline.prompts[self.target] if template is None else template
            trial.set_user_attr("prompt", template)
            trial.set_user_attr("config", config)
            if template == baseline.prompts[self.target] and {**baseline.settings, **settings} == baseline.settings:
                trial.set_user_attr("rejected", "the baseline itself")
                raise optuna.TrialPruned("the baseline itself")
            reason = check_template(template, self.space.placeholders(config, required),
                                    max_chars=self.params.max_prompt_chars) or _repeat_of(trial)
            if reason:
                trial.set_user_attr("rejected", reason)
                raise optuna.TrialPruned(reason)
            cand = Candidate(id=f"t{trial.number}", prompts={**baseline.prompts, self.target: template},
                             settings={**baseline.settings, **settings}, origin="trial", round=trial.number,
                             config=config)
            rewards: list[float] = []
            for k, chunk in enumerate(chunks):
                ev = scorer.score(cand, chunk, description=f"search trial {trial.number + 1}/{n_trials} "
                                                           f"({k + 1}/{n_chunks}): {len(chunk)} tasks")
                rewards += ev.rewards
                trial.report(accuracy(rewards), k)
                if k < n_chunks - 1 and trial.should_prune():
                    raise optuna.TrialPruned(f"{accuracy(rewards):.3f} after {len(rewards)} tasks")
            return accuracy(rewards)

        return objective

    def _log_trial(self, study: Any, trial: Any) -> None:
        value = trial.value if trial.value is not None else (max(trial.intermediate_values.values())
                                                             if trial.intermediate_values else 0.0)
        try:
            best = study.best_value
        except ValueError:
            best = value
        metrics = {"search/trial_accuracy": float(value), "search/best_so_far": float(best),
                   "search/pruned": float(trial.state.name == "PRUNED")}
        self._history.append({"round": float(trial.number), **metrics})
        if self.sink is not None:
            self.sink.log_metrics(metrics, step=trial.number)
        logger.info("trial %d: %s %.3f (best %.3f)", trial.number, trial.state.name.lower(), value, best)

    # -- the algorithm -----------------------------------------------------------------------
    def run(self, ctx: AlgorithmContext, train_dataset: Sequence[Any], val_dataset: Sequence[Any] | None) -> PromptOptResult:
        from optuna.trial import TrialState

        p, s = self.params, self.params.search
        elapsed = timer()
        self._history: list[dict[str, float]] = []
        scorer = CandidateScorer(ctx, sampling={"max_tokens": p.max_tokens, "temperature": p.temperature})
        baseline = Candidate(id="baseline", prompts=scorer.baseline_prompts(), settings=scorer.baseline_settings())
        if self.target not in baseline.prompts:
            raise ValueError(f"search target {self.target!r} is not a prompt resource (have {sorted(baseline.prompts)})")
        required = template_fields(baseline.prompts[self.target])
        train = list(train_dataset)
        if len(train) < 2:
            raise ValueError("prompt search needs train tasks")
        val = list(val_dataset or [])
        val = val[: p.val_limit] if p.val_limit else val
        llm = scorer.base.get("main_llm")
        name = s.study_name or study_name_for(p, self.space, baseline.prompts, train,
                                              llm.model if isinstance(llm, LLM) else None)
        study = self._study(name)
        for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            study._storage.set_trial_state_values(t._trial_id, state=TrialState.FAIL)  # cut off by an interruption
            logger.info("trial %d was interrupted: marked failed, it will be redone", t.number)
        setup = self._setup(study, scorer, baseline, train, random.Random(self.seed))
        if setup.baseline_score is not None:
            baseline.minibatch_scores.append(setup.baseline_score)
            baseline.config["minibatch"] = "bootstrap tasks"
        finished = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
        remaining = s.n_trials - finished
        stopped = None
        if remaining > 0:
            timeout = max(1.0, p.max_time_s - elapsed()) if p.max_time_s else None
            study.optimize(self._objective(scorer, setup, train, baseline, required), n_trials=remaining,
                           timeout=timeout, callbacks=[self._log_trial, *self.callbacks], catch=())
            done = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))
            if done < s.n_trials:
                stopped = f"max_time_s ({p.max_time_s}s) reached after {done} trials"
        candidates = [baseline] + self._candidates(study, baseline)
        complete = sorted((c for c in candidates[1:] if c.config.get("state") == "COMPLETE"),
                          key=lambda c: (-c.mean_score, c.round))
        finalists, seen = [], set()
        for c in complete:
            key = json.dumps([c.prompts[self.target], c.settings], sort_keys=True, default=str)
            if key not in seen and len(finalists) < s.confirm_top:
                seen.add(key)
                finalists.append(c)
        if val:
            best, val_rewards = select_on_val(scorer, baseline, finalists, val, min_improvement=p.min_improvement,
                                              description=f"search val selection: baseline + {len(finalists)} trial(s)")
        else:
            best, val_rewards = (finalists[0] if finalists and finalists[0].mean_score > baseline.mean_score else baseline), {}
        self._history.append({"round": float(s.n_trials), "search/val_baseline": baseline.val_score or 0.0,
                              "search/val_best": best.val_score or 0.0})
        if self.sink is not None:
            self.sink.log_metrics({"search/val_baseline": baseline.val_score or 0.0,
                                   "search/val_best": best.val_score or 0.0}, step=s.n_trials)
        return PromptOptResult(
            algorithm=self.name, baseline=baseline, best=best, improved=best.id != baseline.id, candidates=candidates,
            history=self._history, val_rewards=val_rewards,
            val_task_ids=[_task_id(t, i) for i, t in enumerate(val)], elapsed_s=round(elapsed(), 2), stopped=stopped)

    def _candidates(self, study: Any, baseline: Candidate) -> list[Candidate]:
        """Every finished trial of the study (this run's and earlier ones') as a candidate."""
        out = []
        for t in study.trials:
            if t.state.name not in ("COMPLETE", "PRUNED") or "prompt" not in t.user_attrs:
                continue
            value = t.value if t.value is not None else (t.intermediate_values[max(t.intermediate_values)]
                                                         if t.intermediate_values else None)
            trial_config = t.user_attrs.get("config", t.params)
            config = {**trial_config, "state": t.state.name}
            if "rejected" in t.user_attrs:
                config["rejected"] = t.user_attrs["rejected"]
            out.append(Candidate(id=f"t{t.number}", prompts={**baseline.prompts, self.target: t.user_attrs["prompt"]},
                                 settings={**baseline.settings, **self.space.settings(trial_config)}, parent_id=baseline.id, origin="trial", round=t.number, config=config,
                                 minibatch_scores=[value] if value is not None else [],
                                 rejected=t.user_attrs.get("rejected")))
        return out

"""Prompt search mechanics against a scripted model: demos are retrieved per question
from the train pool only, the study finds the prompt and settings that work and the
selection check confirms them, and an interrupted study resumes where it stopped."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from agl_ops.algorithms.prompt_search import PromptSearch
from agl_ops.config import PromptOptParams
from agl_ops.tasks.sql.prompt_space import SqlPromptSpace
from tests.algorithms.prompt_env import ScriptedModel, fit, last_question, synth_rows

PROPOSAL = "Write a single SQLite query that only uses the columns listed in the schema and nothing else."


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return synth_rows(tmp_path_factory.mktemp("search-data"))


def _params(tmp_path: Path, **search) -> PromptOptParams:
    return PromptOptParams.model_validate({
        "minibatch_size": 8, "val_limit": 8, "max_tokens": 64,
        "search": {"n_trials": 4, "study_path": str(tmp_path / "study.db"), "max_demos": 2,
                   "proposed_instructions": 1, "confirm_top": 2, **search}})


def _search(params: PromptOptParams, pool: list[dict], **kw: object) -> PromptSearch:
    """The search over the SQL agent's space, as the prompt-optimization stage builds it."""
    space = SqlPromptSpace(params.search, pool=pool, prompts_dir=params.optimizer.prompts_dir)
    return PromptSearch(params, space=space, **kw)


def _with_demos(prompt: str, row: dict) -> bool:
    """The scripted model solves everything once it sees examples; without them only
    the easy questions."""
    return "Examples from other databases" in prompt or (row["difficulty"] == "easy" and "Examples" not in prompt)


def _optimizer(prompt: str) -> str:
    return f"<instruction>{PROPOSAL}</instruction>"


def test_search_finds_demos_and_confirms_on_val(rows: dict, tmp_path: Path) -> None:
    model = ScriptedModel(rows, good=_with_demos, optimizer=_optimizer)
    with model.fake.serve() as server:
        result = fit(_search(_params(tmp_path), rows["train"], seed=0), server.url, rows)

    assert result.improved and result.best.settings["few_shot"] > 0  # a trial with demonstrations won
    assert "{examples}" in result.best.prompts["write_prompt"] and result.best.config["few_shot"] > 0
    assert result.best.val_score == 1.0 and result.baseline.val_score < 1.0
    trials = [c for c in result.candidates if c.origin == "trial"]
    assert len(trials) == 4
    # the optimizer proposed an instruction once; it is one of the choices of the study
    study = optuna.load_study(study_name=optuna.get_all_study_names(f"sqlite:///{tmp_path / 'study.db'}")[0],
                              storage=f"sqlite:///{tmp_path / 'study.db'}")
    assert PROPOSAL in study.user_attrs["agl_setup"] and len(model.optimizer_prompts) == 1
    # demos are train questions only, retrieved per question, never the question itself
    train_qs, val_test = {r["question"] for r in rows["train"]}, {r["question"] for r in rows["val"] + rows["test"]}
    shown = [p for p in model.write_prompts() if "Examples from other databases" in p]
    assert shown
    for prompt in shown:
        demos = last_question_demos(prompt)
        assert demos and set(demos) <= train_qs and not set(demos) & val_test
        assert last_question(prompt) not in demos


def test_interrupted_study_resumes(rows: dict, tmp_path: Path) -> None:
    model = ScriptedModel(rows, good=_with_demos, optimizer=_optimizer)
    params = _params(tmp_path, n_trials=5, prune=False)

    def stop_after_two(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if len(study.get_trials(states=(TrialState.COMPLETE,))) >= 2:
            raise KeyboardInterrupt

    with model.fake.serve() as server:
        with pytest.raises(KeyboardInterrupt):
            fit(_search(params, rows["train"], seed=0, callbacks=[stop_after_two]), server.url, rows)
        storage = f"sqlite:///{tmp_path / 'study.db'}"
        name = optuna.get_all_study_names(storage)[0]
        study = optuna.load_study(study_name=name, storage=storage)
        first = {t.number: t.datetime_start for t in study.get_trials(states=(TrialState.COMPLETE,))}
        assert len(first) == 2
        study.ask()  # a trial cut off mid-way (as by SIGKILL): left RUNNING in the storage
        n_writes, n_proposals = len(model.write_prompts()), len(model.optimizer_prompts)

        result = fit(_search(params, rows["train"], seed=0), server.url, rows)

    study = optuna.load_study(study_name=name, storage=storage)
    finished = study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    complete = [t for t in finished if t.state == TrialState.COMPLETE]
    assert len(finished) == 5  # prune=False: a trial is pruned only as a repeat of a scored point
    assert all(t.user_attrs["rejected"].startswith("a repeat of trial") for t in finished if t not in complete)
    assert {t.number: t.datetime_start for t in complete if t.number in first} == first  # kept, not redone
    assert [t.state for t in study.trials if t.number == 2] == [TrialState.FAIL]  # the cut-off one
    assert len(model.optimizer_prompts) == n_proposals  # setup reused: no new proposals...
    # ...and no new bootstrap: the resumed run scored its new trials x 8 tasks + the val check only
    scored = [c for c in result.candidates if c.origin == "trial" and c.config["state"] == "COMPLETE"]
    finalists = 1 + min(2, len({c.prompts["write_prompt"] for c in scored}))
    assert len(model.write_prompts()) - n_writes == (len(complete) - 2) * 8 + finalists * 8
    assert {c.id for c in result.candidates if c.origin == "trial"} == {f"t{t.number}" for t in finished}


def test_pruning_stops_weak_trials(rows: dict, tmp_path: Path) -> None:
    """Seed trials: one without demos (weak), two with (strong); a later weak trial is
    below their median after its first chunk and is pruned there."""
    model = ScriptedModel(rows, good=_with_demos, optimizer=_optimizer)
    params = _params(tmp_path, n_trials=3, proposed_instructions=0, study_name="prune-test")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    with model.fake.serve() as server:
        fit(_search(params, rows["train"], seed=3), server.url, rows)
        study = optuna.load_study(study_name="prune-test", storage=storage)
        study.enqueue_trial({"layout": "composed", "instruction": 1, "few_shot": 0, "demo_schema": "none", "cue": "fence", "schema": "rows",
                             "constrained": False})
        n_writes = len(model.write_prompts())
        result = fit(_search(params.model_copy(update={"search": params.search.model_copy(update={"n_trials": 4})}),
                                  rows["train"], seed=3), server.url, rows)
    states = {c.id: c.config["state"] for c in result.candidates if c.origin == "trial"}
    assert states == {"t0": "COMPLETE", "t1": "COMPLETE", "t2": "COMPLETE", "t3": "PRUNED"}
    assert len(model.write_prompts()) - n_writes == 4 + 3 * 8  # half the minibatch, then the val check
    pruned = next(c for c in result.candidates if c.id == "t3")
    assert len(pruned.minibatch_scores) == 1 and pruned.config["few_shot"] == 0


def test_a_repeated_point_is_not_scored_again(rows: dict, tmp_path: Path) -> None:
    """The sampler may draw the exact point of an earlier trial: it is pruned as a
    repeat (no rollouts) instead of scored again and entered twice into selection."""
    model = ScriptedModel(rows, good=_with_demos, optimizer=_optimizer)
    params = _params(tmp_path, n_trials=3, proposed_instructions=0, study_name="repeat-test")
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    with model.fake.serve() as server:
        fit(_search(params, rows["train"], seed=3), server.url, rows)
        study = optuna.load_study(study_name="repeat-test", storage=storage)
        first = study.get_trials(states=(TrialState.COMPLETE,))[0]
        study.enqueue_trial(first.params)
        n_writes = len(model.write_prompts())
        result = fit(_search(params.model_copy(update={"search": params.search.model_copy(update={"n_trials": 4})}),
                             rows["train"], seed=3), server.url, rows)
    study = optuna.load_study(study_name="repeat-test", storage=storage)
    repeat = study.trials[3]
    assert repeat.state == TrialState.PRUNED and repeat.user_attrs["rejected"] == f"a repeat of trial {first.number}"
    finalists = 1 + min(2, len({c.prompts["write_prompt"] for c in result.candidates
                                if c.origin == "trial" and c.config.get("state") == "COMPLETE"}))
    assert len(model.write_prompts()) - n_writes == finalists * 8  # the val check only: the repeat ran nothing


def last_question_demos(prompt: str) -> list[str]:
    """The questions of the demos shown before the task's own question."""
    import re

    return re.findall(r"^Question: (.*)$", prompt, re.M)[:-1]

"""Params -> SQL task objects: the prompt set an evaluation runs with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agl_ops.prompt_sets import PromptSetError, resolve_prompt_set
from agl_ops.tasks.sql.prompts import default_prompts
from agl_ops.tasks.sql.wiring import prompt_resources


def test_eval_prompts_file_overrides_the_shipped_prompts(tmp_path: Path) -> None:
    best = tmp_path / "best.json"
    best.write_text(json.dumps({"resources": {"write_prompt": {"resource_type": "prompt_template",
                                                               "template": "{schema_no_rows}\nQ: {question}"}}}))
    res = prompt_resources(resolve_prompt_set(None, str(best)))
    assert res["write_prompt"].template == "{schema_no_rows}\nQ: {question}"
    assert res["check_prompt"].template == default_prompts()["check_prompt"].template
    missing = resolve_prompt_set(None, str(tmp_path / "none.json"))
    assert prompt_resources(missing)["write_prompt"].template == \
        default_prompts()["write_prompt"].template  # no file yet (no prompt optimization run): shipped prompts
    with pytest.raises(PromptSetError, match="does not exist"):  # a path given on the command line must exist
        resolve_prompt_set(tmp_path / "none.json", None)


def test_the_realistic_split_is_the_shipped_dev_set(tmp_path: Path) -> None:
    from agl_ops.config import Params
    from agl_ops.tasks.sql.realistic import build_realistic
    from agl_ops.tasks.sql.spider import DataError
    from agl_ops.tasks.sql.wiring import tasks_from_params

    cfg = Params.model_validate({"data": {"path": str(tmp_path / "sql"), "realistic_path": str(tmp_path / "realistic")}})
    with pytest.raises(DataError, match="agl-ops data prepare"):
        tasks_from_params(cfg, "realistic")
    build_realistic(tmp_path / "realistic")
    rows = tasks_from_params(cfg, "realistic")
    assert len(rows) >= 90 and {r["difficulty"] for r in rows} == {"easy", "medium", "hard"}
    assert len(tasks_from_params(cfg, "realistic", limit=5)) == 5


def test_prompt_dev_databases_are_held_out_of_train(tmp_path: Path) -> None:
    from agl_ops.config import Params
    from agl_ops.tasks.sql.spider import DataError
    from agl_ops.tasks.sql.synth import SynthParams, generate_dataset
    from agl_ops.tasks.sql.wiring import tasks_from_params

    generate_dataset(tmp_path / "sql", SynthParams(seed=2, train_size=60, val_size=6, test_size=6))
    cfg = Params.model_validate({"data": {"path": str(tmp_path / "sql"), "prompt_dev_databases": 2}})
    train, dev = tasks_from_params(cfg, "train"), tasks_from_params(cfg, "prompt_dev")
    everything = tasks_from_params(cfg.model_copy(update={"data": cfg.data.model_copy(update={"prompt_dev_databases": 0})}),
                                   "train")
    assert len({r["db_id"] for r in dev}) == 2 and not {r["db_id"] for r in dev} & {r["db_id"] for r in train}
    assert sorted(r["id"] for r in train + dev) == sorted(r["id"] for r in everything)
    assert len(tasks_from_params(cfg, "prompt_dev", limit=3)) == 3
    greedy = cfg.model_copy(update={"data": cfg.data.model_copy(update={"prompt_dev_databases": 99})})
    with pytest.raises(DataError, match="would hold out all"):
        tasks_from_params(greedy, "train")


def test_evaluation_votes_over_samples_but_training_rollouts_write_one_query() -> None:
    from agl_ops.config import load_params
    from agl_ops.tasks.sql.training import training_agent
    from agl_ops.tasks.sql.wiring import agent_from_params

    cfg = load_params(None, overrides=["agent.samples=5", "agent.sample_temperature=0.9"])
    agent = agent_from_params(cfg)
    assert (agent.samples, agent.sample_temperature) == (5, 0.9)
    assert training_agent(cfg).samples == 1  # a voted query is not the sampled transition GRPO scores

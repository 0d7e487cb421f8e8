"""Trainer.fit / Trainer.dev over thread and process runners, and the dev CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import agl_ops as agl
from agl_ops.cli import app
from agl_ops.types import RolloutStatus
from tests.sample_agents import double_agent

TASKS = [{"x": 1, "y": 2}, {"x": 2, "y": 5}, {"x": 3, "y": 6}, {"x": 4, "y": 8}]


@pytest.mark.parametrize("backend", ["thread", "process"])
def test_fit_without_algorithm_rolls_out_train_and_val(backend):
    trainer = agl.Trainer(n_runners=2, runner_backend=backend, show_progress=False)
    result = trainer.fit(double_agent, TASKS, TASKS[:2])
    assert [r.reward for r in result["train"]] == [1.0, 0.0, 1.0, 1.0]
    assert [r.mode for r in result["val"]] == ["val", "val"]


def test_fit_hands_the_algorithm_a_context_that_publishes_resources():
    class CountingAlgorithm:
        def run(self, ctx, train, val):
            first = ctx.run_rollouts(train, mode="train")
            update = ctx.publish({"p": agl.PromptTemplate(template="v2")})
            second = ctx.run_rollouts(train[:1], mode="train")
            return first, second, update

    trainer = agl.Trainer(algorithm=CountingAlgorithm(), initial_resources={"p": agl.PromptTemplate(template="v1")},
                          show_progress=False)
    first, second, update = trainer.fit(double_agent, TASKS)
    assert len(first) == 4 and first[0].resources_id != update.resources_id
    assert second[0].resources_id == update.resources_id


def test_dev_prints_a_table_and_reports_all_failed(capsys):
    from rich.console import Console

    console = Console(width=160, record=True)
    report = agl.Trainer(show_progress=False).dev(double_agent, TASKS, limit=3, console=console)
    text = console.export_text()
    assert "agl-ops dev" in text and "3/3 succeeded" in text and "mean reward 0.667" in text
    assert len(report.rows) == 3 and not report.all_failed

    failing = agl.Trainer(show_progress=False).dev(double_agent, [{"x": 1}], console=console)
    assert failing.all_failed and failing.rows[0].status is RolloutStatus.FAILED
    assert "KeyError" in failing.rows[0].error


def test_dev_cli_exits_nonzero_when_every_rollout_fails(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(json.dumps(t) for t in TASKS))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"x": 1}]))
    runner = CliRunner()
    ok = runner.invoke(app, ["dev", "--agent", "tests.sample_agents:double_agent", "--data", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "succeeded" in ok.output
    fail = runner.invoke(app, ["dev", "--agent", "tests.sample_agents:double_agent", "--data", str(bad)])
    assert fail.exit_code == 1 and "every rollout failed" in fail.output
    missing = runner.invoke(app, ["dev", "--agent", "tests.sample_agents:nope", "--data", str(good)])
    assert missing.exit_code == 2 and "cannot load agent" in missing.output

"""The GRPO loop: batches, advantages per group, publishing, checkpoints, resume, server reload."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from agl_ops.algorithms.checkpoint import latest_checkpoint, load_checkpoint
from agl_ops.algorithms.grpo import build_rows, rollout_metrics, task_batch
from agl_ops.metrics import read_jsonl
from agl_ops.store import MemoryStore
from agl_ops.trainer import Trainer
from agl_ops.types import LLM, Rollout, Triplet
from tests.algorithms.agents import make_tasks, scripted_agent
from tests.algorithms.conftest import grpo_params
from tests.algorithms.grpo_job import build_grpo

ROOT = Path(__file__).resolve().parents[2]


def _job(tmp_path: Path, model: Path, **kw: object) -> dict:
    """A small GRPO job (see tests.algorithms.grpo_job.build_grpo); ``kw`` override GRPO params."""
    grpo = dict(batch_size=4, n_rollouts=4, total_steps=3, lr=1e-2, micro_batch_size=8, val_every=2, save_every=2)
    grpo.update(kw)
    return {"grpo": grpo, "model_path": str(model), "run_dir": str(tmp_path / "run"), "output_dir": str(tmp_path / "out"),
            "policy": {"dtype": "float32"}, "adapter": {"agent_match": "write"}}


def _triplet(reward: float, credit: float = 1.0) -> Triplet:
    return Triplet(rollout_id="r", attempt_id="a", span_name="write", turn=0, prompt_ids=[1], response_ids=[2],
                   reward=reward * credit, metadata={"credit": credit, "episode_reward": reward})


def test_task_batch_is_a_pure_function_covering_each_epoch() -> None:
    first_epoch = [i for s in range(5) for i in task_batch(10, 2, s, seed=3)]
    assert sorted(first_epoch) == list(range(10))
    assert task_batch(10, 4, 7, seed=3) == task_batch(10, 4, 7, seed=3)
    assert task_batch(10, 4, 2, seed=3) != task_batch(10, 4, 2, seed=4)
    assert len(task_batch(3, 5, 0, seed=0)) == 5  # batch larger than the data: wraps into the next epoch


def test_build_rows_skips_uniform_groups_and_applies_credit() -> None:
    episodes = [("a", 1.0, [_triplet(1.0), _triplet(1.0, credit=0.5)]), ("a", 0.0, [_triplet(0.0)]),
                ("b", 1.0, [_triplet(1.0)]), ("b", 1.0, [_triplet(1.0)])]
    rows, m = build_rows(episodes, grpo_params())
    assert len(rows) == 3 and m["train/informative_groups"] == 1.0 and m["train/groups"] == 2.0
    assert rows[0].advantage > 0 and rows[1].advantage == pytest.approx(rows[0].advantage * 0.5)
    assert rows[2].advantage < 0
    rows_all, _ = build_rows(episodes, grpo_params(skip_uniform_groups=False))
    assert len(rows_all) == 5 and rows_all[-1].advantage == 0.0


def test_rollout_metrics_per_tier() -> None:
    rs = [Rollout(rollout_id=str(i), input={"difficulty": d}, created_at=0, reward=r)
          for i, (d, r) in enumerate([("easy", 1.0), ("easy", 0.0), ("hard", None), ("hard", 1.0)])]
    m = rollout_metrics(rs, "val", 1.0)
    assert m["val/accuracy"] == 0.5 and m["val/accuracy_easy"] == 0.5 and m["val/failed"] == 1.0


class RecordingReloader:
    def __init__(self) -> None:
        self.calls: list[tuple[Path, str, bool]] = []

    def reload(self, weights_dir: Path, version: str, *, adapter: bool = True) -> str:
        assert (weights_dir / "adapter_config.json").is_file()
        self.calls.append((weights_dir, version, adapter))
        return version


def test_grpo_loop_end_to_end(tmp_path: Path, tiny_policy_dir: Path) -> None:
    job = _job(tmp_path, tiny_policy_dir)
    reloader = RecordingReloader()
    seen: list[int] = []
    store = MemoryStore()
    algo = build_grpo(job, reloader=reloader, sink=lambda m, step: seen.append(step))
    trainer = Trainer(algorithm=algo, n_runners=2, runner_backend="thread", store=store, show_progress=False,
                      initial_resources={"main_llm": LLM(endpoint="http://127.0.0.1:9", model="tiny", proxied=False)})
    tasks = make_tasks(8)
    result = trainer.fit(scripted_agent, tasks, tasks[:4])
    assert result.steps == 3 and result.planned_steps == 3 and result.stopped is None
    assert [v for _, v, _ in reloader.calls] == ["grpo-step-0", "grpo-step-1", "grpo-step-2", "grpo-step-3"]
    # every update published a new resources version with the train temperature
    latest = store.get_resources()
    assert latest is not None and latest.version >= 5
    metrics = read_jsonl(tmp_path / "run" / "metrics.jsonl")
    train_steps = [m["step"] for m in metrics if "train/reward_mean" in m]
    assert train_steps == [1, 2, 3] and seen.count(3) == 2  # step 3: train metrics + val metrics
    assert any("train/loss" in m and "train/tokens_per_s" in m for m in metrics)
    assert [h["step"] for h in result.val_history] == [0, 2, 3]
    assert (tmp_path / "run" / "metrics.csv").read_text().startswith("step,key,value")
    loop, trainable, _ = load_checkpoint(latest_checkpoint(tmp_path / "run"))
    assert loop.step == 3 and trainable
    from transformers import AutoModelForCausalLM

    out = AutoModelForCausalLM.from_pretrained(result.output_dir)
    assert out.config.vocab_size > 0
    assert json.loads((result.output_dir / "agl_source.json").read_text())["merged"] is True


@pytest.mark.slow  # kills a training process and trains again: ~40 s
def test_resume_after_kill_continues_from_the_checkpoint(tmp_path: Path, tiny_policy_dir: Path) -> None:
    job = _job(tmp_path, tiny_policy_dir, total_steps=4, val_every=0, save_every=2)
    run_dir = job["run_dir"]
    cfg = {"job": job, "n_tasks": 8, "kill_after": {"run_dir": run_dir, "step": 2}}
    (tmp_path / "job.json").write_text(json.dumps(cfg))
    cmd = [sys.executable, "-m", "tests.algorithms.grpo_job", str(tmp_path / "job.json")]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert first.returncode == -9, first.stderr[-2000:]  # SIGKILLed in step 3
    assert latest_checkpoint(run_dir).name == "ckpt-000002"
    killed_state, _, _ = load_checkpoint(latest_checkpoint(run_dir))
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "resumed from" in second.stderr and "(step 2)" in second.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1])["steps"] == 4
    loop, _, rest = load_checkpoint(latest_checkpoint(run_dir))
    assert loop.step == 4 and loop.optimizer_steps >= killed_state.optimizer_steps
    steps = [m["step"] for m in read_jsonl(Path(run_dir) / "metrics.jsonl") if "train/reward_mean" in m]
    assert steps == [1, 2, 3, 4]  # step 3 died before it was logged; it ran again after the resume
    assert rest["optimizer"]["state"]  # Adam moments came back with the checkpoint


def test_server_serves_the_new_version_after_an_update(tmp_path: Path, tiny_model_dir: Path, model_server) -> None:
    import httpx

    from agl_ops.algorithms.reload import ServerReloader

    job = _job(tmp_path, tiny_model_dir, total_steps=1, val_before_train=False, val_every=0)
    reloader = ServerReloader(model_server.url)
    trainer = Trainer(algorithm=build_grpo(job, reloader=reloader), n_runners=2, runner_backend="thread",
                      show_progress=False, initial_resources={"main_llm": LLM(endpoint=model_server.url, model="tiny", proxied=False)})
    trainer.fit(scripted_agent, make_tasks(6))
    health = httpx.get(f"{model_server.url}/health").json()
    assert health["model_version"] == "grpo-step-1"
    body = {"model": "tiny", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3}
    resp = httpx.post(f"{model_server.url}/v1/chat/completions", json=body, timeout=60).json()
    assert resp["model_version"] == "grpo-step-1"

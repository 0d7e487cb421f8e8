"""The VERL backend's CPU-checkable parts: config merge and validation against verl's
hydra schema, the command line, data files, and the batch handed to verl."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import torch

from agl_ops.algorithms.verl import SEED_CONFIG, VERL, VerlConfigError
from agl_ops.algorithms.verl.batch import pick_transition, to_dataproto, verl_tensors
from agl_ops.algorithms.verl.config import deep_merge, hydra_overrides, load_config_file, verl_available
from agl_ops.config import AdapterParams, VerlParams
from agl_ops.types import Triplet


def test_deep_merge_nested_and_non_destructive() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    out = deep_merge(base, {"a": {"b": 2}}, None, {"a": {"c": [3]}, "e": {"f": 1}})
    assert out == {"a": {"b": 2, "c": [3]}, "d": 1, "e": {"f": 1}}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1}


def test_overrides_render_hydra_values() -> None:
    cfg = {"a": {"s": "vllm", "q": "write|rewrite", "n": None, "t": True, "l": ["console", "mlflow"], "x": 1e-6,
                 "e": {}}, "agl": {"u": "sqlite:///x.db"}}
    assert hydra_overrides(cfg) == [
        "a.s=vllm", "a.q='write|rewrite'", "a.n=null", "a.t=true", "a.l=[console,mlflow]", "a.x=1e-06", "a.e={}",
        "+agl.u=sqlite:///x.db",
    ]


def test_config_sources_merge_in_order(tmp_path: Path) -> None:
    params = VerlParams(config={"data": {"train_batch_size": 16}})
    algo = VERL({"actor_rollout_ref": {"actor": {"optim": {"lr": 5e-7}}}}, params=params, model_path="models/base")
    cfg = algo.config
    assert cfg["data"]["train_batch_size"] == 16  # params.yaml over the seed
    assert cfg["actor_rollout_ref"]["actor"]["optim"]["lr"] == 5e-7  # the dict over both
    assert cfg["actor_rollout_ref"]["rollout"]["n"] == 4 and cfg["actor_rollout_ref"]["rollout"]["name"] == "vllm"
    assert cfg["actor_rollout_ref"]["model"]["path"].endswith("models/base")
    # a params.yaml path is read through its train.verl.config section
    (tmp_path / "params.yaml").write_text("train:\n  verl:\n    config:\n      trainer: {total_epochs: 5}\n")
    assert load_config_file(tmp_path / "params.yaml") == {"trainer": {"total_epochs": 5}}
    assert VERL(tmp_path / "params.yaml").config["trainer"]["total_epochs"] == 5


def test_command_line_plugs_in_our_rollout_manager() -> None:
    cmd = VERL(adapter_params=AdapterParams(agent_match="write")).command(store="http://127.0.0.1:4747", train_file="/d/t.parquet",
                                                               val_file="/d/v.parquet")
    assert cmd[1:3] == ["-m", "verl.trainer.main_ppo"]
    args = cmd[3:]
    for expected in ("algorithm.adv_estimator=grpo", "data.train_batch_size=32", "actor_rollout_ref.rollout.name=vllm",
                     "actor_rollout_ref.rollout.n=4", "actor_rollout_ref.rollout.multi_turn.format=hermes",
                     "trainer.use_v1=false", "data.train_files=/d/t.parquet",
                     "+actor_rollout_ref.rollout.agent.agent_loop_manager_class=agl_ops.algorithms.verl.manager.AglAgentLoopManager",
                     "+agl.store_url=http://127.0.0.1:4747", "+agl.agent_match=write"):
        assert expected in args
    assert shlex.split(shlex.join(cmd)) == cmd  # safe to print as a shell line


def _triplet(prompt: list[int], response: list[int], reward: float, logprobs: bool = True) -> Triplet:
    return Triplet(rollout_id="r", attempt_id="a", span_name="write", turn=0, prompt_ids=prompt, response_ids=response,
                   response_logprobs=[-0.5] * len(response) if logprobs else None, reward=reward, metadata={"n_turns": 2})


def test_verl_tensors_layout() -> None:
    rows = [_triplet([5, 6, 7], [8, 9], 1.0), None, _triplet([1, 2, 3, 4, 5, 6], [7, 8, 9, 10], 0.0)]
    t = verl_tensors(rows, pad_id=0, max_prompt_length=4, max_response_length=3)
    assert t["prompts"].tolist() == [[0, 5, 6, 7], [0, 0, 0, 0], [3, 4, 5, 6]]  # left-padded, long prompt keeps its end
    assert t["responses"].tolist() == [[8, 9, 0], [0, 0, 0], [7, 8, 9]]  # right-padded, long response keeps its start
    assert t["response_mask"].tolist() == [[1, 1, 0], [0, 0, 0], [1, 1, 1]]
    assert t["attention_mask"].tolist() == [[0, 1, 1, 1, 1, 1, 0], [0, 0, 0, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]]
    assert torch.equal(t["input_ids"], torch.cat([t["prompts"], t["responses"]], 1))
    assert t["position_ids"][0].tolist() == [0, 0, 1, 2, 3, 4, 4]
    assert t["rm_scores"].tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    assert "rollout_log_probs" not in t  # one row has none: verl recomputes
    t2 = verl_tensors([_triplet([1], [2, 3], 0.5)], pad_id=0, max_prompt_length=2, max_response_length=3)
    assert t2["rollout_log_probs"].tolist() == [[-0.5, -0.5, 0.0]] and t2["rm_scores"][0, 1] == 0.5


def test_pick_transition() -> None:
    a, b = _triplet([1], [2], 1.0), _triplet([3], [4], 1.0)
    assert pick_transition([a, b]) is b and pick_transition([a, b], "first") is a and pick_transition([]) is None


verl_only = pytest.mark.skipif(not verl_available(), reason="needs the [verl] extra")


@pytest.mark.verl
@verl_only
def test_dataproto_is_what_verl_trains_on() -> None:
    np = pytest.importorskip("numpy")
    core_algos = pytest.importorskip("verl.trainer.ppo.core_algos")
    from verl.trainer.ppo.ray_trainer import compute_response_mask

    rows = [_triplet([5, 6], [8, 9], 1.0), _triplet([5, 6], [7], 0.0), _triplet([4], [3, 2, 1], 0.0), None]
    uids = np.array(["t1", "t1", "t2", "t2"], dtype=object)
    data = to_dataproto(rows, pad_id=0, max_prompt_length=4, max_response_length=4, non_tensor={"uid": uids},
                        timing={"agl/rollout_s": 1.0})
    assert len(data) == 4 and data.meta_info["timing"]["agl/rollout_s"] == 1.0
    assert torch.equal(compute_response_mask(data), data.batch["response_mask"])
    adv, _ = core_algos.compute_grpo_outcome_advantage(data.batch["rm_scores"], data.batch["response_mask"],
                                                        data.non_tensor_batch["uid"])
    assert adv[0, 0] > 0 and adv[1, 0] < 0  # the rewarded answer of task 1 is pushed up
    assert (adv[3] == 0).all()  # the empty row carries no signal
    assert data.non_tensor_batch["__num_turns__"].tolist() == [2, 2, 2, 0]


@pytest.fixture(scope="module")
def composed_seed() -> dict:
    if not verl_available():
        pytest.skip("needs the [verl] extra")
    return VERL().validate(store="sqlite:///x.db", train_file="t.parquet")


@pytest.mark.verl
def test_seed_config_validates_against_verl_schema(composed_seed: dict) -> None:
    rollout = composed_seed["actor_rollout_ref"]["rollout"]
    assert rollout["name"] == "vllm" and rollout["n"] == 4 and rollout["multi_turn"]["format"] == "hermes"
    assert composed_seed["algorithm"]["adv_estimator"] == "grpo"
    assert composed_seed["actor_rollout_ref"]["actor"]["ppo_mini_batch_size"] == 32
    assert composed_seed["trainer"]["save_freq"] == 64 and composed_seed["agl"]["store_url"] == "sqlite:///x.db"
    assert composed_seed["actor_rollout_ref"]["rollout"]["agent"]["agent_loop_manager_class"].endswith("AglAgentLoopManager")
    assert composed_seed["trainer"]["use_v1"] is False
    assert "critic" in composed_seed  # verl's defaults were merged in


@pytest.mark.verl
@verl_only
def test_unknown_and_missing_keys_fail_clearly() -> None:
    with pytest.raises(VerlConfigError, match=r"unknown key 'actor_rollout_ref.rollout.nn'.*did you mean n"):
        VERL({"actor_rollout_ref": {"rollout": {"nn": 4}}}).validate()
    with pytest.raises(VerlConfigError, match=r"unknown key 'trainer.total_epoch'.*total_epochs"):
        VERL({"trainer": {"total_epoch": 4}}).validate()
    no_name = VERL()
    del no_name.config["actor_rollout_ref"]["rollout"]["name"]
    with pytest.raises(VerlConfigError, match=r"actor_rollout_ref.rollout.name"):
        no_name.validate()
    with pytest.raises(VerlConfigError, match=r"actor_rollout_ref.actor is invalid: .*loss_agg_mode"):
        VERL({"actor_rollout_ref": {"actor": {"loss_agg_mode": "bogus"}}}).validate()


def test_run_needs_a_shared_store_and_gpus(tmp_path: Path) -> None:
    from agl_ops.algorithms.base import AlgorithmContext
    from agl_ops.store import MemoryStore
    from agl_ops.store.sql import SqliteStore

    algo = VERL(run_dir=tmp_path / "run")
    with pytest.raises(RuntimeError, match="not the in-memory store"):
        algo.run(AlgorithmContext(store=MemoryStore(), resources=None), [{"question": "q"}])
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    store = SqliteStore(tmp_path / "s.db")
    with pytest.raises(RuntimeError, match="CUDA GPU"):
        algo.run(AlgorithmContext(store=store, resources=None), [{"question": "q", "id": 1}])
    import pandas as pd

    df = pd.read_parquet(tmp_path / "run" / "verl_data" / "train.parquet")
    assert json.loads(df.iloc[0]["extra_info"]["agl_task"]) == {"question": "q", "id": 1}
    assert df.iloc[0]["prompt"][0]["content"] == "q"
    store.close()


@pytest.mark.verl
@verl_only
def test_rollout_manager_serves_verl_through_our_runners_and_proxy(tiny_model_dir: Path, model_server) -> None:
    """verl's generate_sequences, CPU edition: our runners run an agent that calls the
    (stand-in for vLLM) model server through the proxy; the batch comes back aligned."""
    np = pytest.importorskip("numpy")
    from transformers import AutoTokenizer
    from verl import DataProto

    from agl_ops.algorithms.verl.manager import AglAgentLoopManager
    from agl_ops.pool import RunnerPool
    from agl_ops.store import MemoryStore
    from tests.algorithms.agents import http_agent

    store = MemoryStore()
    cfg = {"data": {"max_prompt_length": 64, "max_response_length": 8},
           "actor_rollout_ref": {"rollout": {"temperature": 1.0}, "model": {"path": str(tiny_model_dir)}},
           "agl": {"agent_match": "write", "served_model_name": "tiny"}}
    manager = AglAgentLoopManager(cfg, [model_server.url.removeprefix("http://")], store=store)
    tasks = [{"question": f"task {i}"} for i in range(3)]
    rows = [t for t in tasks for _ in range(2)]  # rollout.n = 2, interleaved as verl repeats
    extra = np.empty(len(rows), dtype=object)
    extra[:] = [{"agl_task": json.dumps(t), "index": i} for i, t in enumerate(rows)]
    uid = np.array([f"u{i // 2}" for i in range(len(rows))], dtype=object)
    batch = DataProto.from_dict(tensors={"dummy": torch.zeros(len(rows), 1)}, non_tensors={"extra_info": extra, "uid": uid})
    try:
        with RunnerPool(http_agent, store, n_runners=3, backend="thread"):
            out = manager.generate_sequences(batch)
    finally:
        manager.shutdown()
    assert len(out) == len(rows) and out.batch["responses"].shape == (6, 8)
    assert out.batch["input_ids"].shape == (6, 72) and out.batch["prompts"].shape == (6, 64)
    assert (out.non_tensor_batch["uid"] == uid).all()  # aligned with verl's input rows
    rewards = out.batch["rm_scores"].sum(-1)
    assert set(rewards.tolist()) <= {0.0, 1.0}
    mask = out.batch["response_mask"]
    assert (mask.sum(-1) > 0).all()  # every rollout produced a transition
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    prompt = tok.decode(out.batch["prompts"][0][out.batch["attention_mask"][0, :64].bool()])
    assert "task 0" in prompt  # the chat prompt the model saw, from the proxy's token ids
    assert "rollout_log_probs" in out.batch.keys() and out.meta_info["timing"]["agl/rollout_s"] > 0

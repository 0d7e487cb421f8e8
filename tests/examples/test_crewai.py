"""The CrewAI example, run the scale-out way: CrewAI pins openai<3 and pydantic<2.13, so
its runner is an ``agl-ops runner`` process in its own venv (``make venv-crewai``)
against the HTTP store (``agl-ops store serve``), calling the model through our proxy.
Checked with the scripted tool-using model (the whole tool loop, reward 1), the real
server on the tiny model, and one GRPO step (the trainer here, the crew's runner there)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from agl_ops.algorithms.base import AlgorithmContext
from agl_ops.llm.proxy import LLMProxy
from agl_ops.store.client import HttpStore
from agl_ops.types import Rollout
from tests.examples.harness import TOKEN_SHAPING, check_exactly_once, check_real_model_calls, check_tool_loop
from tests.llm.conftest import engine, model_server, tiny_model_dir  # noqa: F401 (fixtures)
from tests.llm.tool_llm import ToolLLM
from tests.procs import start_store_server, stop

ROOT = Path(__file__).resolve().parents[2]
CREWAI_PY = ROOT / ".venv-crewai" / "bin" / "python"
AGENT = "agl_ops.examples.crewai:agent"
TASKS = [{"question": q, "answer": a} for q, a in [("What is 17 * 23?", 391), ("What is 128 + 256?", 384),
                                                   ("What is 1000 - 7?", 993)]]


_PROBLEM = None if CREWAI_PY.exists() else (
    f"no CrewAI runner venv at {CREWAI_PY.parent.parent} (build it with `make venv-crewai`)")
# a CrewAI process takes ~15 s to start (two imports of crewai: the runner and its worker)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(_PROBLEM is not None, reason=_PROBLEM or "")]


def _check_venv() -> None:
    probe = subprocess.run([str(CREWAI_PY), "-c", f"import {AGENT.split(':')[0]}"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip(f"the CrewAI runner venv cannot import the example (rebuild it with `make venv-crewai`): "
                    f"{probe.stderr[-300:]}")


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("crewai")


@pytest.fixture(scope="module")
def http_store(logs: Path) -> Iterator[tuple[HttpStore, str]]:
    server, url = start_store_server(logs / "store.db", log=logs / "store.log")
    store = HttpStore(url)
    try:
        yield store, url
    finally:
        store.close()
        stop(server)


@pytest.fixture(scope="module")
def crew_runner(http_store, logs: Path) -> Iterator[HttpStore]:
    """One CrewAI runner process (its own venv) on the HTTP store, for the module's tests."""
    _check_venv()
    store, url = http_store
    log = logs / "crewai-runner.log"
    proc = subprocess.Popen([str(CREWAI_PY), "-m", "agl_ops.cli", "runner", "--agent", AGENT, "--store", url, "--n", "1",
                             "--heartbeat-interval-s", "2"], cwd=ROOT, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        yield store
    finally:
        stop(proc)
    assert proc.returncode in (0, -15), log.read_text()[-3000:]


def _run(store: HttpStore, proxy: LLMProxy, tasks: Sequence[Any], **sampling: Any) -> list[Rollout]:
    resources = store.add_resources({"main_llm": proxy.llm_resource("tiny", **sampling)})
    ctx = AlgorithmContext(store=store, resources=resources, timeout_s=120, show_progress=False)
    rollouts = ctx.run_rollouts(tasks, mode="train")
    proxy.flush()
    return rollouts


def test_tool_loop_with_a_scripted_model(crew_runner: HttpStore) -> None:
    store, llm = crew_runner, ToolLLM()
    with llm.serve() as server, LLMProxy(server.url, store) as proxy:
        rollouts = _run(store, proxy, TASKS)
    check_exactly_once(store, rollouts)
    check_tool_loop(store, rollouts)


def test_real_server_on_the_tiny_model(crew_runner: HttpStore, model_server, engine) -> None:
    store = crew_runner
    with LLMProxy(model_server.url, store) as proxy:
        rollouts = _run(store, proxy, TASKS[:2], max_tokens=8, temperature=1.0)
    check_exactly_once(store, rollouts)
    check_real_model_calls(store, rollouts, engine.tokenizer)


def test_one_grpo_step(crew_runner: HttpStore, tmp_path: Path, tiny_model_dir: Path, model_server) -> None:
    import httpx

    from agl_ops.algorithms.config import AdapterParams, GRPOParams, PolicyParams
    from agl_ops.algorithms.grpo import GRPO
    from agl_ops.algorithms.reload import ServerReloader

    store = crew_runner
    params = GRPOParams(batch_size=2, n_rollouts=2, total_steps=1, lr=1e-2, micro_batch_size=4, mini_batch_size=None,
                        val_before_train=False, val_every=0, kl_coef=0.0, reward_shaping=TOKEN_SHAPING, max_time_s=None)
    seen: list[dict[str, Any]] = []
    algo = GRPO(params, model_path=tiny_model_dir, run_dir=tmp_path / "run", output_dir=tmp_path / "out",
                policy_params=PolicyParams(dtype="float32"), adapter_params=AdapterParams(agent_match=None),
                reloader=ServerReloader(model_server.url), sink=lambda m, step: seen.append(dict(m)), merge=False)
    with LLMProxy(model_server.url, store) as proxy:
        resources = store.add_resources({"main_llm": proxy.llm_resource("tiny", max_tokens=8)})
        ctx = AlgorithmContext(store=store, resources=resources, timeout_s=120, show_progress=False)
        result = algo.run(ctx, TASKS[:2])
    assert result.steps == 1
    step = next(m for m in seen if "train/reward_mean" in m)
    assert step["adapter/triplets"] >= 4 and step["adapter/no_token_ids"] == 0 and "train/loss" in step
    assert httpx.get(f"{model_server.url}/health").json()["model_version"] == "grpo-step-1"


def test_dev_table_in_the_crewai_venv() -> None:
    """`agl-ops dev` runs in the CrewAI venv too: the table counts the proxy's LLM spans."""
    _check_venv()
    with ToolLLM().serve() as server:
        out = subprocess.run([str(CREWAI_PY), "-m", "agl_ops.cli", "dev", "--agent", AGENT, "--llm-endpoint", server.url,
                              "--limit", "2"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                             env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    rows = [line for line in out.stdout.splitlines() if "succeeded │" in line]
    assert len(rows) == 2 and all(line.split("│")[7].strip() == "2" for line in rows), out.stdout[-2000:]
    assert "2/2 succeeded, mean reward 1.000" in out.stdout

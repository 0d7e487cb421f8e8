"""Small agents used by runner/trainer tests (importable, so spawned runners can load them)."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import agl_ops as agl
from agl_ops.types import LLM


@agl.rollout
def double_agent(task: dict) -> float:
    return 1.0 if task["x"] * 2 == task["y"] else 0.0


@agl.rollout
async def async_emitting_agent(task: dict) -> None:
    await asyncio.sleep(0)
    agl.emit_message("thinking", step=1)
    agl.emit_reward(0.25)
    agl.emit_reward(task["reward"])  # the last reward counts


@agl.rollout
def flaky_agent(task: dict) -> float:
    """Fails on the first try of every task (a marker file remembers), succeeds after."""
    marker = Path(task["dir"]) / f"{task['id']}.tried"
    if not marker.exists():
        marker.write_text("1")
        raise RuntimeError("first try always fails")
    return 1.0


@agl.rollout
def sleepy_agent(task: dict) -> float:
    time.sleep(task.get("sleep", 10))
    return 1.0


@agl.rollout
def logging_agent(task: dict) -> float:
    """Records each start in a log (pid) and blocks while a 'hold' file exists."""
    log = Path(task["dir"]) / "starts.log"
    with log.open("a") as fh:
        fh.write(f"{os.getpid()}\n")
    hold = Path(task["dir"]) / "hold"
    while hold.exists():
        time.sleep(0.05)
    return 1.0


@agl.rollout
def langchain_agent(task: dict) -> float:
    """A LangChain pipeline with no tracing code: the runner's hook must trace it."""
    from langchain_core.runnables import RunnableLambda

    shout = RunnableLambda(lambda s: s.upper()).with_config(run_name="shout")
    exclaim = RunnableLambda(lambda s: s + "!").with_config(run_name="exclaim")
    out = (shout | exclaim).with_config(run_name="pipeline").invoke(task["text"])
    return 1.0 if out == task["text"].upper() + "!" else 0.0


@agl.rollout
def custom_span_agent(task: dict) -> float:
    with agl.get_tracer().start_as_current_span("lookup") as span:
        span.set_attribute("key", task["key"])
    return 1.0


@agl.rollout
def counting_agent(task: dict, rollout) -> float:
    """Appends 'rollout_id attempt_id pid' to a shared log: duplicates would show up."""
    with open(Path(task["dir"]) / "done.log", "a") as fh:
        fh.write(f"{rollout.rollout_id} {rollout.attempt_id} {os.getpid()}\n")
    time.sleep(task.get("sleep", 0))
    return 1.0


@agl.rollout
def llm_agent(task: dict, llm: LLM, rollout) -> float:
    """Two calls to main_llm through the proxy URL of this attempt (the openai client
    retries a 502 twice), then 'rollout_id attempt_id pid' appended to a shared log."""
    from openai import OpenAI

    client = OpenAI(base_url=llm.get_base_url(rollout.rollout_id, rollout.attempt_id), api_key=llm.api_key or "x",
                    timeout=120)
    for step in ("write", "check"):
        client.chat.completions.create(model=llm.model, messages=[{"role": "user", "content": f"{step} {task['i']}"}],
                                       max_tokens=6, extra_headers={"x-agl-span-name": step})
        time.sleep(task.get("sleep", 0))
    with open(Path(task["dir"]) / "done.log", "a") as fh:
        fh.write(f"{rollout.rollout_id} {rollout.attempt_id} {os.getpid()}\n")
    return 1.0

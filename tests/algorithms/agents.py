"""Agents for GRPO loop tests (importable, so a subprocess can run them too).

``scripted_agent`` plays the proxy's part: it writes an LLM span with token ids (one of
two canned responses, chosen by a hash of the rollout id) and is rewarded 1 for the
"good" one. With ``kill_after`` in the task, it SIGKILLs its own process once that
checkpoint exists: a hard crash in the middle of the next step's rollouts.
"""

from __future__ import annotations

import hashlib
import os
import signal
from pathlib import Path

import agl_ops as agl
from agl_ops.tracing import current_attempt
from agl_ops.types import Span, SpanKind


@agl.rollout
def scripted_agent(task: dict, rollout) -> float:
    ctx = current_attempt()
    assert ctx is not None
    kill = task.get("kill_after")
    if kill:
        marker = Path(kill["run_dir"]) / "killed"
        if (Path(kill["run_dir"]) / f"ckpt-{kill['step']:06d}").exists() and not marker.exists():
            marker.write_text("1")
            os.kill(os.getpid(), signal.SIGKILL)
    good = int(hashlib.sha1(rollout.rollout_id.encode()).hexdigest(), 16) % 2 == 0
    response = task["good"] if good else task["bad"]
    ctx.writer.put(Span(
        rollout_id=rollout.rollout_id, attempt_id=rollout.attempt_id, name="write", kind=SpanKind.LLM,
        attributes={"request": {}, "response": {}, "prompt_token_ids": task["prompt"], "model_version": "x",
                    "choices": [{"text": "", "token_ids": response, "logprobs": [-1.0] * len(response),
                                 "finish_reason": "stop"}]},
    ))
    return 1.0 if good else 0.0


def make_tasks(n: int, seed: int = 0, vocab: int = 400, **extra: object) -> list[dict]:
    import random

    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        tasks.append({
            "id": i, "difficulty": "easy" if i % 2 else "hard",
            "prompt": [rng.randrange(3, vocab) for _ in range(rng.randint(4, 10))],
            "good": [rng.randrange(3, vocab) for _ in range(rng.randint(2, 5))],
            "bad": [rng.randrange(3, vocab) for _ in range(rng.randint(2, 5))],
            **extra,
        })
    return tasks


@agl.rollout
def http_agent(task: dict, main_llm: agl.LLM, rollout) -> float:
    """Calls the model through the proxy URL of its attempt (the openai client, unchanged
    agent code); rewarded 1 when the reply has an even number of characters."""
    from openai import OpenAI

    client = OpenAI(base_url=main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id), api_key="x")
    reply = client.chat.completions.create(
        model=main_llm.model, messages=[{"role": "user", "content": task["question"]}], max_tokens=6,
        extra_headers={"x-agl-span-name": "write"}, **main_llm.sampling_parameters,
    ).choices[0].message.content or ""
    return 1.0 if len(reply) % 2 == 0 else 0.0

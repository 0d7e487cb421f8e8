"""The arithmetic task with the plain ``openai`` client: no framework, no tools.

What most users have: a function that calls an OpenAI-compatible endpoint. The only
agl-ops lines are the decorator and the base URL taken from ``main_llm`` (so the proxy
records each call with its token ids, which GRPO trains on).
"""

from __future__ import annotations

from typing import Any

import agl_ops as agl
from agl_ops.examples.calculator_task import TASKS, reward

__all__ = ["agent", "TASKS"]


@agl.rollout
def agent(task: dict[str, Any], main_llm: agl.LLM, rollout: Any) -> float:
    from openai import OpenAI

    client = OpenAI(base_url=main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id), api_key=main_llm.api_key)
    reply = client.chat.completions.create(
        model=main_llm.model, messages=[{"role": "user", "content": f"{task['question']} Answer with the number only."}],
        **main_llm.sampling_parameters)
    return reward(reply.choices[0].message.content, task)

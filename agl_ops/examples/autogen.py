"""An AutoGen AgentChat agent, unchanged, traced and trained by agl-ops.

The agent code is what an AutoGen user writes (an ``AssistantAgent`` with a Python
function as its tool and ``OpenAIChatCompletionClient``); the only agl-ops lines point
the client at ``main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id)``, the
tracing proxy's URL for this attempt. A model name OpenAI does not know needs
``model_info`` (what the model can do).

AutoGen sends no usage telemetry; its runtime's OpenTelemetry spans go only to a
tracer provider you configure, and ``AUTOGEN_DISABLE_RUNTIME_TRACING=true`` (set here
unless already set) turns them off.

    agl-ops dev --agent agl_ops.examples.autogen:agent --model-path models/base

Needs the ``[autogen]`` extra (``autogen-agentchat`` + ``autogen-ext[openai]`` 0.7.5).
"""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("AUTOGEN_DISABLE_RUNTIME_TRACING", "true")

from autogen_agentchat.agents import AssistantAgent  # noqa: E402
from autogen_core.models import ModelInfo  # noqa: E402
from autogen_ext.models.openai import OpenAIChatCompletionClient  # noqa: E402

import agl_ops as agl  # noqa: E402
from agl_ops.examples.calculator_task import INSTRUCTIONS, TASKS, calculate, reward  # noqa: E402

__all__ = ["agent", "calculator", "TASKS"]

MODEL_INFO = ModelInfo(vision=False, function_calling=True, json_output=False, family="unknown",
                       structured_output=False)


async def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as '17 * 23'."""
    return calculate(expression)


@agl.rollout
async def agent(task: dict[str, Any], main_llm: agl.LLM, rollout: agl.AttemptedRollout) -> float:
    client = OpenAIChatCompletionClient(model=main_llm.model, base_url=main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id),
                                        api_key=main_llm.api_key, model_info=MODEL_INFO, max_retries=0,
                                        **main_llm.sampling_parameters)
    solver = AssistantAgent("calculator", model_client=client, tools=[calculator], system_message=INSTRUCTIONS,
                            reflect_on_tool_use=True)
    try:
        result = await solver.run(task=task["question"])
    finally:
        await client.close()
    return reward(result.messages[-1].to_text(), task)

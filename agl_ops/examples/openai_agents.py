"""An OpenAI Agents SDK agent, unchanged, traced and trained by agl-ops.

The agent code is what an Agents SDK user writes (an ``Agent`` with a
``@function_tool``, run by ``Runner.run``); the only agl-ops lines point its model at
``main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id)``, the tracing proxy's URL
for this attempt, through the SDK's chat-completions model class (the SDK defaults
to the Responses API, which our server does not serve).

The SDK uploads traces to OpenAI by default: ``set_tracing_disabled(True)`` (or the
environment variable ``OPENAI_AGENTS_DISABLE_TRACING=1``) turns that off; the proxy
records every model call instead.

    agl-ops dev --agent agl_ops.examples.openai_agents:agent --model-path models/base

Needs the ``[openai-agents]`` extra (``openai-agents`` 0.24).
"""

from __future__ import annotations

from typing import Any

from agents import Agent, ModelSettings, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from agents.exceptions import MaxTurnsExceeded
from openai import AsyncOpenAI

import agl_ops as agl
from agl_ops.examples.calculator_task import INSTRUCTIONS, TASKS, calculate, reward

__all__ = ["agent", "calculator", "TASKS"]

set_tracing_disabled(True)  # no trace upload to OpenAI: the agl-ops proxy records the calls


@function_tool
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as '17 * 23'."""
    return calculate(expression)


@agl.rollout
async def agent(task: dict[str, Any], main_llm: agl.LLM, rollout: agl.AttemptedRollout) -> float:
    async with AsyncOpenAI(base_url=main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id),
                           api_key=main_llm.api_key, max_retries=0) as client:
        solver = Agent(
            name="calculator",
            instructions=INSTRUCTIONS,
            tools=[calculator],
            model=OpenAIChatCompletionsModel(model=main_llm.model, openai_client=client),
            model_settings=ModelSettings(**main_llm.sampling_parameters),
        )
        try:
            result = await Runner.run(solver, task["question"], max_turns=4)
        except MaxTurnsExceeded:
            return 0.0
    return reward(result.final_output, task)

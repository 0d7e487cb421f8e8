"""A CrewAI crew, unchanged, traced and trained by agl-ops.

The crew is what a CrewAI user writes (an ``Agent`` with a ``@tool``, a ``Task``, a
``Crew``); the only agl-ops lines point its ``LLM`` at
``main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id)``, the tracing proxy's URL
for this attempt (``openai/<model>`` with a ``base_url``: CrewAI's native OpenAI
provider, chat completions with native tool calls).

CrewAI pins openai<3 and pydantic<2.13, so it cannot share the project's venv: it runs
as a runner process in its own (``make venv-crewai``) against the HTTP store::

    agl-ops store serve --port 4747                     # the project's venv
    .venv-crewai/bin/agl-ops runner --agent agl_ops.examples.crewai:agent --store http://127.0.0.1:4747

CrewAI's telemetry (anonymous usage spans to CrewAI) and its trace prompts are off here
unless set otherwise: ``CREWAI_DISABLE_TELEMETRY=true``, ``CREWAI_DISABLE_TRACKING=true``,
``CREWAI_TRACING_ENABLED=false``, ``CREWAI_DISABLE_VERSION_CHECK=true``. (CrewAI also
honours ``OTEL_SDK_DISABLED=true``, but that turns off OpenTelemetry for the whole
process, agl-ops' own agent spans included.)
"""

from __future__ import annotations

import os
from typing import Any

for _name, _value in [("CREWAI_DISABLE_TELEMETRY", "true"), ("CREWAI_DISABLE_TRACKING", "true"),
                      ("CREWAI_TRACING_ENABLED", "false"), ("CREWAI_DISABLE_VERSION_CHECK", "true")]:
    os.environ.setdefault(_name, _value)

from crewai import LLM, Agent, Crew, Task  # noqa: E402
from crewai.tools import tool  # noqa: E402

import agl_ops as agl  # noqa: E402
from agl_ops.examples.calculator_task import INSTRUCTIONS, TASKS, calculate, reward  # noqa: E402

__all__ = ["agent", "calculator", "TASKS"]


@tool("calculator")
def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression such as '17 * 23'."""
    return calculate(expression)


@agl.rollout
def agent(task: dict[str, Any], main_llm: agl.LLM, rollout: agl.AttemptedRollout) -> float:
    model = LLM(model=f"openai/{main_llm.model}", base_url=main_llm.get_base_url(rollout.rollout_id, rollout.attempt_id),
                api_key=main_llm.api_key, **main_llm.sampling_parameters)
    solver = Agent(role="Calculator", goal=INSTRUCTIONS, backstory="You check every sum with your calculator.",
                   tools=[calculator], llm=model, max_iter=3, verbose=False)
    job = Task(description=task["question"], expected_output="The number that answers the question.", agent=solver)
    result = Crew(agents=[solver], tasks=[job], verbose=False).kickoff()
    return reward(result.raw, task)

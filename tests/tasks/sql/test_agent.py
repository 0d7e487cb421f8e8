"""The LangGraph SQL agent end to end against a scripted fake OpenAI endpoint."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from agl_ops.tasks.sql.agent import LitSQLAgent
from agl_ops.tasks.sql.prompts import default_resources
from agl_ops.types import PromptTemplate
from tests.tasks.sql.fake_llm import FakeLLM

GOLD = "SELECT Name FROM singer WHERE Country = 'France'"
RIGHT = "```sql\nSELECT name FROM singer WHERE country = 'France';\n```"
WRONG = "```sql\nSELECT name FROM singer\n```\nThis lists the singers."
BAD_COLUMN = "SELECT singer_name FROM singer WHERE country = 'France'"


def _task(db: Path) -> dict:
    return {"id": "t1", "db_id": "concert_singer", "question": "What are the names of singers from France?",
            "query": GOLD, "difficulty": "easy", "db_path": str(db)}


def _serve(script) -> Iterator[tuple[FakeLLM, str]]:
    fake = FakeLLM(script)
    with fake.serve() as server:
        yield fake, server.url


@pytest.fixture
def right_first() -> Iterator[tuple[FakeLLM, str]]:
    yield from _serve(lambda step, prompt: "THE QUERY IS CORRECT." if step == "check" else RIGHT)


@pytest.fixture
def always_wrong() -> Iterator[tuple[FakeLLM, str]]:
    yield from _serve(lambda step, prompt: "The query ignores the country filter." if step == "check" else WRONG)


@pytest.fixture
def fixes_error() -> Iterator[tuple[FakeLLM, str]]:
    def script(step: str, prompt: str) -> str:
        if step == "write":
            return BAD_COLUMN
        if step == "rewrite":
            assert "no such column: singer_name" in prompt  # the execution error is fed back
            return RIGHT
        return "THE QUERY IS CORRECT"

    yield from _serve(script)


def test_reward_one_when_first_query_is_right(concert_db: Path, right_first) -> None:
    fake, url = right_first
    outcome = LitSQLAgent().run_episode(_task(concert_db), default_resources(url, "fake-model"))
    assert outcome.reward == 1.0 and outcome.turns == 1 and outcome.checked_correct and outcome.first_reward == 1.0
    assert [c.step for c in fake.calls] == ["write", "check"]
    assert all(c.body["model"] == "fake-model" for c in fake.calls)


def test_reward_zero_after_max_turns(concert_db: Path, always_wrong) -> None:
    fake, url = always_wrong
    outcome = LitSQLAgent(max_turns=3).run_episode(_task(concert_db), default_resources(url))
    assert outcome.reward == 0.0 and outcome.turns == 3 and not outcome.checked_correct
    assert [c.step for c in fake.calls] == ["write", "check", "rewrite", "check", "rewrite", "check"]
    assert outcome.final_query == "SELECT name FROM singer"


def test_execution_error_is_fed_back_without_a_check_call(concert_db: Path, fixes_error) -> None:
    fake, url = fixes_error
    outcome = LitSQLAgent().run_episode(_task(concert_db), default_resources(url))
    assert [c.step for c in fake.calls] == ["write", "rewrite", "check"]
    assert outcome.reward == 1.0 and outcome.turns == 2 and outcome.llm_calls == 3
    assert outcome.first_query == BAD_COLUMN and outcome.first_reward == 0.0


def test_gold_query_never_reaches_the_model(concert_db: Path, always_wrong) -> None:
    fake, url = always_wrong
    LitSQLAgent().run_episode(_task(concert_db), default_resources(url))
    assert fake.calls
    for call in fake.calls:
        assert GOLD not in call.prompt and "Country = 'France'" not in call.prompt


def test_span_name_header_and_per_attempt_url(concert_db: Path, always_wrong) -> None:
    fake, url = always_wrong
    resources = default_resources(url, proxied=True)
    LitSQLAgent(max_turns=2).run_episode(_task(concert_db), resources, "ro-1", "at-1")
    assert [c.headers["x-agl-span-name"] for c in fake.calls] == ["write", "check", "rewrite", "check"]
    assert all(c.path == "/rollout/ro-1/attempt/at-1/v1/chat/completions" for c in fake.calls)
    assert re.fullmatch("write|rewrite", "rewrite") and not re.fullmatch("write|rewrite", "check")


def test_prompts_come_from_resources(concert_db: Path, right_first) -> None:
    fake, url = right_first
    resources = default_resources(url, sampling_parameters={"temperature": 0.7, "top_k": 20})
    resources["write_prompt"] = PromptTemplate(template="CUSTOM {question}\n{schema}")
    LitSQLAgent().run_episode(_task(concert_db), resources)
    assert fake.calls[0].prompt.startswith("CUSTOM What are the names")
    assert "CREATE TABLE singer" in fake.calls[0].prompt
    assert fake.calls[0].body["temperature"] == 0.7 and fake.calls[0].body["top_k"] == 20


def test_bad_prompt_field_is_a_clear_error(concert_db: Path, right_first) -> None:
    _, url = right_first
    resources = default_resources(url)
    resources["write_prompt"] = PromptTemplate(template="{question} {gold}")
    with pytest.raises(ValueError, match="prompt 'write_prompt' cannot be filled"):
        LitSQLAgent().run_episode(_task(concert_db), resources)


def test_missing_llm_or_task_fields(concert_db: Path) -> None:
    with pytest.raises(TypeError, match="main_llm"):
        LitSQLAgent().run_episode(_task(concert_db), default_resources())
    with pytest.raises(ValueError, match="missing 'db_path'"):
        LitSQLAgent().run_episode({"question": "q", "query": "SELECT 1"}, default_resources("http://127.0.0.1:9"))


def test_agent_pickles_after_use(concert_db: Path, right_first) -> None:
    _, url = right_first
    agent = LitSQLAgent(max_turns=2, truncate_length=300)
    agent.run_episode(_task(concert_db), default_resources(url))
    clone = pickle.loads(pickle.dumps(agent))
    assert clone.max_turns == 2 and clone.truncate_length == 300 and clone._graph is None
    assert clone.run_episode(_task(concert_db), default_resources(url)).reward == 1.0


def test_schema_linking_in_prompts(concert_db: Path, right_first) -> None:
    fake, url = right_first
    LitSQLAgent().run_episode(_task(concert_db), default_resources(url))
    linked = fake.calls[0].prompt
    LitSQLAgent(schema_linking=False).run_episode(_task(concert_db), default_resources(url))
    full = fake.calls[2].prompt
    assert full.count("CREATE TABLE") == 4 and full.index("CREATE TABLE stadium") < full.index("CREATE TABLE singer")
    assert 1 <= linked.count("CREATE TABLE") < 4 and linked.index("CREATE TABLE singer") < 200


def test_write_prompt_is_what_the_write_call_sends(concert_db: Path, right_first) -> None:
    """A supervised warm start trains on agent.write_prompt: it must be the write call's message."""
    fake, url = right_first
    custom = PromptTemplate(template="Schema:\n{schema}\nQ: {question}\nSQL:")
    resources = {**default_resources(url, "fake-model"), "write_prompt": custom}
    agent = LitSQLAgent(sample_rows=0)
    agent.run_episode(_task(concert_db), resources)
    write = next(c for c in fake.calls if c.step == "write")
    assert agent.write_prompt(_task(concert_db), resources) == write.prompt
    assert agent.write_prompt(_task(concert_db)).startswith("Translate the question")  # shipped prompt by default


def test_a_prompt_may_show_the_schema_without_example_rows(concert_db: Path, right_first) -> None:
    fake, url = right_first
    resources = {**default_resources(url, "fake-model"),
                 "write_prompt": PromptTemplate(template="{schema_no_rows}\nQ: {question}\nSQL:")}
    outcome = LitSQLAgent(sample_rows=3).run_episode(_task(concert_db), resources)
    write, check = fake.calls[0], fake.calls[1]
    assert outcome.reward == 1.0 and "CREATE TABLE" in write.prompt and "example row" not in write.prompt
    assert "example row" in check.prompt  # the check prompt still uses {schema}, with rows


def test_constrained_query_calls_carry_the_shown_schema_grammar(concert_db: Path, fixes_error) -> None:
    fake, url = fixes_error
    agent = LitSQLAgent(constrained=True, schema_max_tables=2)
    resources = default_resources(url, sampling_parameters={"temperature": 0.7, "top_k": 20})
    agent.run_episode(_task(concert_db), resources)
    grammar = agent.query_grammar(_task(concert_db))
    assert "root ::=" in grammar and {t.name for t in agent.shown_tables(_task(concert_db))} <= {"singer", "concert",
                                                                                                   "stadium", "singer_in_concert"}
    by_step = {c.step: c.body for c in fake.calls}
    for step in ("write", "rewrite"):
        assert by_step[step]["structured_outputs"] == {"grammar": grammar} and by_step[step]["top_k"] == 20
    assert "structured_outputs" not in by_step["check"] and by_step["check"]["top_k"] == 20
    fake.calls.clear()
    LitSQLAgent().run_episode(_task(concert_db), resources)
    assert not any("structured_outputs" in c.body for c in fake.calls)


def test_without_the_check_step_only_an_error_triggers_a_rewrite(concert_db: Path, always_wrong, fixes_error) -> None:
    fake, url = always_wrong  # its query runs (wrong answer): kept, one call
    outcome = LitSQLAgent(check_results=False).run_episode(_task(concert_db), default_resources(url, "fake-model"))
    assert [c.step for c in fake.calls] == ["write"] and outcome.turns == 1 and outcome.reward == 0.0
    fake, url = fixes_error  # its query fails: the error goes to a rewrite, which is right
    outcome = LitSQLAgent(check_results=False).run_episode(_task(concert_db), default_resources(url, "fake-model"))
    assert [c.step for c in fake.calls] == ["write", "rewrite"] and outcome.reward == 1.0 and outcome.turns == 2


def test_samples_vote_replaces_a_failing_reply_by_the_answer_most_samples_share(concert_db: Path) -> None:
    other = "SELECT name FROM singer WHERE country = 'France' ORDER BY name"  # same rows, other text

    def script(step: str, prompt: str) -> str | list[str]:
        if step == "write_samples":
            return [WRONG, RIGHT, other]
        return BAD_COLUMN

    for fake, url in _serve(script):
        outcome = LitSQLAgent(check_results=False, samples=4).run_episode(_task(concert_db),
                                                                          default_resources(url, "fake-model"))
        assert [c.step for c in fake.calls] == ["write", "write_samples"]  # no rewrite: the voted query runs
        extra = fake.calls[1].body
        assert extra["n"] == 3 and extra["temperature"] == 0.7 and isinstance(extra["seed"], int)
        assert "temperature" not in fake.calls[0].body or fake.calls[0].body["temperature"] != 0.7
        assert outcome.reward == 1.0 and outcome.llm_calls == 2 and outcome.first_reward == 1.0


def test_samples_come_from_the_settings_resource_and_default_to_one_call(concert_db: Path, always_wrong) -> None:
    from agl_ops.types import Settings

    fake, url = always_wrong
    resources = default_resources(url, "fake-model")
    LitSQLAgent(check_results=False).run_episode(_task(concert_db), resources)
    assert [c.step for c in fake.calls] == ["write"]
    fake.calls.clear()
    resources["agent_settings"] = Settings(values={"samples": 2, "sample_temperature": 1.0})
    LitSQLAgent(check_results=False).run_episode(_task(concert_db), resources)
    assert [c.step for c in fake.calls] == ["write", "write_samples"]
    assert fake.calls[1].body["n"] == 1 and fake.calls[1].body["temperature"] == 1.0
    with pytest.raises(ValueError, match="samples"):
        LitSQLAgent(samples=0)

"""LitSQLAgent: write -> execute -> check -> rewrite, as a LangGraph state machine.

The agent sees the question and the database (schema with sample rows, and the
results of its own queries); it never sees the gold query, which only the reward
reads after the episode. Each model call carries the ``x-agl-span-name`` header
(``write``, ``check`` or ``rewrite``) so the tracing proxy names its LLM span after
the step, and ``agent_match="write|rewrite"`` selects the query-writing calls.

With ``constrained=True`` the query-writing calls (write, rewrite) carry the SQL
grammar of the tables the agent shows (``structured_outputs.grammar``, understood by
our server and by vLLM): the model can then write only a parseable SELECT over those
tables and columns, and the reply is that query.

With ``samples > 1`` each query-writing step also samples ``samples - 1`` alternatives
(``sample_temperature``, one extra call with ``n``, span ``write_samples`` /
``rewrite_samples``: not a training transition) and keeps the query whose execution
result most of them share (:mod:`agl_ops.tasks.sql.vote`).

A failed execution needs no model to judge it: the check step then feeds the error
back to the rewrite step directly. The final answer is the last query that ran
without error (or the last query written, if none did).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Mapping
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel

from agl_ops.agent import LitAgent
from agl_ops.tasks.sql.execution import ExecLimits, execute_sql, format_result
from agl_ops.tasks.sql.extract import extract_sql, is_correct_verdict
from agl_ops.tasks.sql.grammar import sql_grammar
from agl_ops.tasks.sql.prompts import PROMPT_FIELDS, default_prompts
from agl_ops.tasks.sql.reward import execution_reward
from agl_ops.tasks.sql.schema import TableInfo, render_schema, shown_tables
from agl_ops.tracing import SPAN_NAME_HEADER, span
from agl_ops.types import SETTINGS_RESOURCE, LLM, AttemptedRollout, PromptTemplate, Resource, Settings, SpanKind

__all__ = ["LitSQLAgent", "SqlOutcome", "OUTCOME_SPAN", "LLM_SPAN_NAMES", "SETTINGS", "demo_settings"]

logger = logging.getLogger(__name__)

OUTCOME_SPAN = "sql.outcome"
# the Settings resource the agent reads (all optional): few_shot (demos retrieved per
# question, default 0), demo_schema (none | columns | create), demos (the pool: rows with
# question, query, db_path), demo_pool_id (the pool's content hash), constrained (bool,
# overrides the agent's own), samples / sample_temperature (self-consistency, override the agent's)
SETTINGS = SETTINGS_RESOURCE
_RETRIEVERS: dict[str, Any] = {}
_RETRIEVERS_LOCK = threading.Lock()


def demo_settings(rows: Any, k: int, demo_schema: str = "none", **values: Any) -> Settings:
    """Settings that show the ``k`` demos closest to each question, from ``rows`` (train
    task rows: question, query, db_path; never val or test)."""
    import hashlib
    import json

    demos = [{"question": str(r["question"]), "query": str(r["query"]), "db_path": str(r["db_path"]),
              "db_id": str(r.get("db_id", ""))} for r in rows]
    pool_id = hashlib.sha1(json.dumps(demos, sort_keys=True).encode()).hexdigest()[:16]
    return Settings(values={"few_shot": k, "demo_schema": demo_schema, "demos": demos, "demo_pool_id": pool_id,
                            **values})


def _retriever(values: Mapping[str, Any]) -> Any:
    """The pool's retriever, built once per pool (its id) and kept for the next rollouts."""
    from agl_ops.tasks.sql.demos import DemoRetriever

    key = str(values.get("demo_pool_id") or id(values.get("demos")))
    with _RETRIEVERS_LOCK:
        found = _RETRIEVERS.get(key)
        if found is None:
            if len(_RETRIEVERS) >= 4:
                _RETRIEVERS.pop(next(iter(_RETRIEVERS)))
            found = _RETRIEVERS[key] = DemoRetriever.from_rows(values.get("demos") or [])
    return found
LLM_SPAN_NAMES = ("write", "check", "rewrite")
_OPENAI_ARGS = frozenset({"temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
                          "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "n"})
_NO_SQL = "no SQL query found in the reply; answer with one SELECT query"


class SqlOutcome(BaseModel):
    """What happened in one episode (also recorded as the ``sql.outcome`` span)."""

    task_id: str | None = None
    db_id: str | None = None
    difficulty: str | None = None
    final_query: str = ""
    exec_ok: bool = False
    exec_error: str | None = None
    turns: int = 0
    llm_calls: int = 0
    checked_correct: bool = False
    reward: float = 0.0
    first_query: str = ""  # the write step's query, before any rewrite
    first_reward: float = 0.0  # what the episode would have scored with max_turns=1


class _State(TypedDict, total=False):
    question: str
    examples: str  # the retrieved demonstrations block of the write prompt ("" for none)
    schema: str
    schema_no_rows: str  # the same tables without example rows (only when a prompt uses it)
    query: str
    execution: str
    exec_ok: bool
    exec_error: str | None
    feedback: str
    correct: bool
    turns: int
    llm_calls: int
    first_query: str
    last_query: str  # the last non-empty query
    last_ok_query: str  # the last query that ran without error


class _Episode:
    """Per-rollout things the graph's nodes need (passed in the run config)."""

    def __init__(self, agent: LitSQLAgent, llm: LLM, prompts: Mapping[str, PromptTemplate], db_path: str,
                 base_url: str, grammar: str | None = None, samples: int = 1, sample_temperature: float = 0.7) -> None:
        from openai import OpenAI

        self.agent, self.llm, self.prompts, self.db_path = agent, llm, prompts, db_path
        self.samples, self.sample_temperature = samples, sample_temperature
        self.client = OpenAI(base_url=base_url, api_key=llm.api_key, timeout=agent.request_timeout_s, max_retries=2)
        params = {"max_tokens": agent.max_tokens, **llm.sampling_parameters}
        self.kwargs = {k: v for k, v in params.items() if k in _OPENAI_ARGS}
        extra = {k: v for k, v in params.items() if k not in _OPENAI_ARGS}
        if extra:
            self.kwargs["extra_body"] = extra
        stops = self.kwargs.pop("stop", None)
        self.stops: list[str] = [stops] if isinstance(stops, str) else list(stops or [])
        self.query_kwargs = dict(self.kwargs)  # write/rewrite calls: + the grammar when constrained
        if grammar is not None:
            extra_body = {**self.kwargs.get("extra_body", {}), "structured_outputs": {"grammar": grammar}}
            self.query_kwargs["extra_body"] = extra_body

    def prompt(self, name: str, **fields: Any) -> str:
        template = self.prompts[name]
        try:
            return template.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"prompt {name!r} cannot be filled ({type(exc).__name__}: {exc}); "
                             f"its fields must be among {sorted(PROMPT_FIELDS[name])}") from exc

    def chat(self, step: str, prompt: str, **overrides: Any) -> list[str]:
        """The replies of one call (``overrides``: e.g. ``n``, ``temperature``)."""
        stops = self.stops + (list(self.agent.query_stop) if step != "check" else [])
        kwargs = {**(self.kwargs if step == "check" else self.query_kwargs), **overrides}
        response = self.client.chat.completions.create(
            model=self.llm.model, messages=[{"role": "user", "content": prompt}],
            extra_headers={SPAN_NAME_HEADER: step}, **kwargs, **({"stop": stops[:4]} if stops else {}),
        )
        return [c.message.content or "" for c in response.choices] or [""]

    def write(self, step: str, prompt: str) -> tuple[str, int]:
        """A query-writing step (write, rewrite): its query and the calls it made. With
        ``samples > 1`` the query is voted on among the step's reply and the alternatives
        sampled for it."""
        query = extract_sql(self.chat(step, prompt)[0])
        if self.samples <= 1:
            return query, 1
        from agl_ops.tasks.sql.vote import vote_by_execution

        extra = self.chat(f"{step}_samples", prompt, n=self.samples - 1, temperature=self.sample_temperature,
                          seed=zlib.crc32(prompt.encode()) % 2**31)  # reproducible, differs per question
        vote = vote_by_execution(self.db_path, [query] + [extract_sql(r) for r in extra], self.agent.limits)
        return vote.query, 2

    def execute(self, query: str) -> dict[str, Any]:
        if not query:
            return {"execution": f"Error: {_NO_SQL}", "exec_ok": False, "exec_error": _NO_SQL}
        result = execute_sql(self.db_path, query, self.agent.limits)
        out: dict[str, Any] = {"execution": format_result(result, self.agent.truncate_length),
                               "exec_ok": result.ok, "exec_error": result.error, "last_query": query}
        if result.ok:
            out["last_ok_query"] = query
        return out


def _episode(config: RunnableConfig) -> _Episode:
    return config["configurable"]["agl_sql_episode"]


def _schemas(state: _State) -> dict[str, str]:
    return {"schema": state["schema"], "schema_no_rows": state.get("schema_no_rows", "")}


def _write_query(state: _State, config: RunnableConfig) -> dict[str, Any]:
    ep = _episode(config)
    query, calls = ep.write("write", ep.prompt("write_prompt", **_schemas(state), question=state["question"],
                                               examples=state.get("examples", "")))
    return {"query": query, "first_query": query, "turns": 1, "llm_calls": state.get("llm_calls", 0) + calls}


def _execute_query(state: _State, config: RunnableConfig) -> dict[str, Any]:
    return _episode(config).execute(state.get("query", ""))


def _check_query(state: _State, config: RunnableConfig) -> dict[str, Any]:
    ep = _episode(config)
    if not state.get("exec_ok"):
        return {"correct": False, "feedback": f"The query failed with this error: {state.get('exec_error')}"}
    if not ep.agent.check_results:
        return {"correct": False}  # no check call: a query that ran is kept
    reply = ep.chat("check", ep.prompt("check_prompt", **_schemas(state), question=state["question"],
                                       query=state["query"], execution=state["execution"]))[0]
    return {"correct": is_correct_verdict(reply), "feedback": reply.strip()[: ep.agent.truncate_length],
            "llm_calls": state.get("llm_calls", 0) + 1}


def _rewrite_query(state: _State, config: RunnableConfig) -> dict[str, Any]:
    ep = _episode(config)
    query, calls = ep.write("rewrite", ep.prompt(
        "rewrite_prompt", **_schemas(state), question=state["question"], query=state.get("query") or "(none)",
        execution=state["execution"], feedback=state.get("feedback", "")))
    return {"query": query, "turns": state.get("turns", 1) + 1, "llm_calls": state.get("llm_calls", 0) + calls}


class LitSQLAgent(LitAgent):
    """The text-to-SQL agent. Resources: ``main_llm`` (an :class:`~agl_ops.types.LLM`),
    optional ``write_prompt`` / ``check_prompt`` / ``rewrite_prompt`` (defaults are the
    shipped prompts). Task: a dict with ``question``, ``db_path`` and ``query`` (gold,
    for the reward only), optionally ``id``, ``db_id``, ``difficulty``."""

    def __init__(
        self, max_turns: int = 3, truncate_length: int = 1024, *, schema_max_chars: int = 2000, sample_rows: int = 3,
        max_tokens: int = 128, limits: ExecLimits | None = None, request_timeout_s: float = 120.0,
        query_stop: tuple[str, ...] = (";", "\n\n"), schema_linking: bool = True, schema_max_tables: int | None = 3,
        schema_min_ratio: float = 0.5, constrained: bool = False, check_results: bool = True, samples: int = 1,
        sample_temperature: float = 0.7,
    ) -> None:
        if max_turns < 1:
            raise ValueError("max_turns must be >= 1")
        if samples < 1:
            raise ValueError("samples must be >= 1")
        self.max_turns = max_turns
        self.truncate_length = truncate_length
        self.schema_max_chars = schema_max_chars
        self.sample_rows = sample_rows
        self.max_tokens = max_tokens
        self.limits = limits or ExecLimits()
        self.request_timeout_s = request_timeout_s
        self.query_stop = tuple(query_stop)  # stop sequences of write/rewrite calls: a query ends there
        self.schema_linking = schema_linking  # tables most relevant to the question first
        self.schema_max_tables = schema_max_tables  # and at most this many of them (None: all)
        self.schema_min_ratio = schema_min_ratio  # each at least this share of the best table's relevance
        self.constrained = constrained  # write/rewrite calls decode under the shown tables' SQL grammar
        self.check_results = check_results  # ask the model whether a query that ran answers the question
        self.samples = samples  # queries per writing step, voted on by their results (1: the reply alone)
        self.sample_temperature = sample_temperature  # of the samples - 1 alternatives
        self._graph: Any = None
        self._lock = threading.Lock()

    # pickling (runners may be spawned processes): the compiled graph is rebuilt lazily
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_graph"] = None
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def graph(self) -> Any:
        with self._lock:
            if self._graph is None:
                self._graph = self._build_graph()
            return self._graph

    def _build_graph(self) -> Any:
        from langgraph.graph import END, START, StateGraph

        builder = StateGraph(_State)
        builder.add_node("write_query", _write_query)
        builder.add_node("execute_query", _execute_query)
        builder.add_node("check_query", _check_query)
        builder.add_node("rewrite_query", _rewrite_query)
        builder.add_edge(START, "write_query")
        builder.add_edge("write_query", "execute_query")
        builder.add_edge("execute_query", "check_query")
        builder.add_conditional_edges("check_query", self._after_check, {"end": END, "rewrite": "rewrite_query"})
        builder.add_edge("rewrite_query", "execute_query")
        return builder.compile()

    def _after_check(self, state: _State) -> str:
        done = state.get("correct") or state.get("turns", 1) >= self.max_turns
        if not self.check_results and state.get("exec_ok"):
            done = True  # without the check step only an error triggers a rewrite
        return "end" if done else "rewrite"

    @staticmethod
    def prompts(resources: Mapping[str, Resource]) -> dict[str, PromptTemplate]:
        """The shipped prompts, overridden by the prompt templates in ``resources``."""
        prompts = dict(default_prompts())
        prompts.update({k: v for k, v in resources.items() if k in PROMPT_FIELDS and isinstance(v, PromptTemplate)})
        return prompts

    def schema_text(self, task: Mapping[str, Any], sample_rows: int | None = None) -> str:
        """The schema as this agent shows it for ``task`` (linking reads the question only)."""
        rows = self.sample_rows if sample_rows is None else sample_rows
        return render_schema(str(task["db_path"]), self.schema_max_chars, rows,
                             question=str(task["question"]) if self.schema_linking else None,
                             max_tables=self.schema_max_tables if self.schema_linking else None,
                             min_ratio=self.schema_min_ratio if self.schema_linking else 0.0)

    def shown_tables(self, task: Mapping[str, Any], sample_rows: int | None = None) -> list[TableInfo]:
        """The tables :meth:`schema_text` shows for ``task`` (before the length fit)."""
        rows = self.sample_rows if sample_rows is None else sample_rows
        return shown_tables(str(task["db_path"]), rows, question=str(task["question"]) if self.schema_linking else None,
                            max_tables=self.schema_max_tables if self.schema_linking else None,
                            min_ratio=self.schema_min_ratio if self.schema_linking else 0.0)

    def query_grammar(self, task: Mapping[str, Any], prompts: Mapping[str, PromptTemplate] | None = None) -> str:
        """The SQL grammar (GBNF) of the tables shown for ``task``: with and, when a prompt
        shows ``{schema_no_rows}``, without sample rows (linking may differ)."""
        tables = self.shown_tables(task)
        if prompts is not None and any("{schema_no_rows}" in p.template for p in prompts.values()):
            names = {t.name for t in tables}
            tables += [t for t in self.shown_tables(task, sample_rows=0) if t.name not in names]
        return sql_grammar(tables)

    @staticmethod
    def settings(resources: Mapping[str, Resource]) -> dict[str, Any]:
        """The values of the ``agent_settings`` resource ({} without one)."""
        found = resources.get(SETTINGS)
        return dict(found.values) if isinstance(found, Settings) else {}

    def examples(self, task: Mapping[str, Any], settings: Mapping[str, Any]) -> str:
        """The write prompt's ``{examples}`` block: the ``few_shot`` pool demos closest to
        the question ("" when the settings ask for none)."""
        k = int(settings.get("few_shot") or 0)
        if k <= 0 or not settings.get("demos"):
            return ""
        from agl_ops.tasks.sql.demos import render_examples

        demos = [d for d in _retriever(settings).top(str(task["question"]), k + 2) if d.db_path != task.get("db_path")]
        return render_examples(demos[:k], str(settings.get("demo_schema") or "none"))

    def write_prompt(self, task: Mapping[str, Any], resources: Mapping[str, Resource] | None = None) -> str:
        """The user message of the write call for ``task``: what a supervised warm start
        trains on, so its prompts match the agent's own byte for byte."""
        prompts = self.prompts(resources or {})
        return prompts["write_prompt"].format(**self._schema_fields(task, prompts), question=str(task["question"]),
                                              examples=self.examples(task, self.settings(resources or {})))

    def _schema_fields(self, task: Mapping[str, Any], prompts: Mapping[str, PromptTemplate]) -> dict[str, str]:
        """``schema`` and, if a prompt asks for it, ``schema_no_rows`` (sample rows are
        what a small model copies into spurious filters; a prompt may do without them)."""
        out = {"schema": self.schema_text(task), "schema_no_rows": ""}
        if any("{schema_no_rows}" in p.template for p in prompts.values()):
            out["schema_no_rows"] = self.schema_text(task, sample_rows=0)
        return out

    def run_episode(self, task: Mapping[str, Any], resources: Mapping[str, Resource],
                    rollout_id: str | None = None, attempt_id: str | None = None) -> SqlOutcome:
        """One episode, with its details (``rollout`` returns just the reward)."""
        llm = resources.get("main_llm")
        if not isinstance(llm, LLM):
            raise TypeError(f"resources['main_llm'] must be an LLM resource, got {type(llm).__name__} "
                            f"(resources: {sorted(resources)})")
        for key in ("question", "db_path", "query"):
            if not task.get(key):
                raise ValueError(f"task is missing {key!r} (keys: {sorted(task)})")
        prompts = self.prompts(resources)
        settings = self.settings(resources)
        db_path = str(task["db_path"])
        constrained = bool(settings.get("constrained", self.constrained))
        grammar = self.query_grammar(task, prompts) if constrained else None
        episode = _Episode(self, llm, prompts, db_path, llm.get_base_url(rollout_id, attempt_id), grammar,
                           samples=int(settings.get("samples", self.samples)),
                           sample_temperature=float(settings.get("sample_temperature", self.sample_temperature)))
        schemas = self._schema_fields(task, prompts)
        try:
            state = self.graph.invoke(
                {"question": str(task["question"]), "examples": self.examples(task, settings), **schemas,  # type: ignore[typeddict-item]
                 "turns": 0, "llm_calls": 0},
                config={"configurable": {"agl_sql_episode": episode}, "recursion_limit": 4 * self.max_turns + 4},
            )
        finally:
            episode.client.close()
        final = state.get("last_ok_query") or state.get("last_query", "")
        gold = execute_sql(db_path, str(task["query"]), self.limits)
        reward = execution_reward(db_path, final, str(task["query"]), self.limits, gold_result=gold)
        first = state.get("first_query", "")
        first_reward = execution_reward(db_path, first, str(task["query"]), self.limits, gold_result=gold)
        final_error = None
        if not state.get("last_ok_query"):
            final_error = execute_sql(db_path, final, self.limits).error if final else _NO_SQL
        outcome = SqlOutcome(
            task_id=task.get("id"), db_id=task.get("db_id"), difficulty=task.get("difficulty"), final_query=final,
            exec_ok=bool(state.get("last_ok_query")), exec_error=final_error,
            turns=state.get("turns", 0), llm_calls=state.get("llm_calls", 0), checked_correct=bool(state.get("correct")),
            reward=reward, first_query=first, first_reward=first_reward,
        )
        with span(OUTCOME_SPAN, SpanKind.MESSAGE, **outcome.model_dump(exclude_none=True)):
            pass
        return outcome

    def rollout(self, task: Any, resources: Mapping[str, Resource], rollout: AttemptedRollout) -> float:
        if hasattr(task, "to_row"):
            task = task.to_row()
        return self.run_episode(task, resources, rollout.rollout_id, rollout.attempt_id).reward

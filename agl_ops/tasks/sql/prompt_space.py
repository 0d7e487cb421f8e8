"""The SQL task's prompt search space: how a trial composes the agent's write prompt
(instruction, schema view, answer cue, the per-question demos slot) and its settings
(demos retrieved per question, constrained decoding, queries voted on per step): :class:`SqlPromptSpace`, what
:class:`~agl_ops.algorithms.prompt_search.PromptSearch` searches over for this task,
and what APO's optimizer is shown of a failed SQL rollout.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from agl_ops.algorithms.apo import format_digest
from agl_ops.algorithms.config import SearchParams
from agl_ops.tasks.sql.demos import DEMO_SCHEMA_STYLES, Demo

__all__ = ["ANSWER_CUES", "LAYOUTS", "SCHEMA_VIEWS", "SqlPromptSpace", "compose_write_prompt", "escape_literal",
           "parse_instructions", "describe_sql_failure", "propose_instructions", "task_prompt_file"]

logger = logging.getLogger(__name__)

# how the database itself is shown: the agent's schema with example rows, or without them
# (a small model copies sample values into filters the question never asked for)
SCHEMA_VIEWS = {"rows": "schema", "no_rows": "schema_no_rows"}
# a trial keeps the baseline's own write prompt (shipped) or composes a new one
LAYOUTS = ("shipped", "composed")
ANSWER_CUES = {
    "fence": "Reply with only the SQL query inside a ```sql code block.",
    "sql_label": "SQL:",
}


def escape_literal(text: str) -> str:
    """Literal text inside an f-string template."""
    return text.replace("{", "{{").replace("}", "}}")


def compose_write_prompt(instruction: str, cue: str, schema_view: str = "rows") -> str:
    """The write prompt of one trial: the instruction, the per-question demos
    (``{examples}``, empty when the settings show none), the database and the question
    with its answer cue."""
    if cue not in ANSWER_CUES:
        raise ValueError(f"unknown answer cue {cue!r}; choose from {sorted(ANSWER_CUES)}")
    if schema_view not in SCHEMA_VIEWS:
        raise ValueError(f"unknown schema view {schema_view!r}; choose from {sorted(SCHEMA_VIEWS)}")
    field = "{" + SCHEMA_VIEWS[schema_view] + "}"
    ask = "Question: {question}\n" + escape_literal(ANSWER_CUES[cue])
    database = "{examples}Now the database to query:\n\n" + field
    return "\n\n".join([escape_literal(instruction.strip()), database, ask]) + "\n"


def parse_instructions(text: str) -> list[str]:
    """Blocks separated by a line holding only ``---``; ``#`` lines are comments."""
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip() == "---":
            blocks.append("\n".join(current).strip())
            current = []
        elif not line.lstrip().startswith("#"):
            current.append(line)
    blocks.append("\n".join(current).strip())
    return [b for b in blocks if b]


def task_prompt_file(name: str, prompts_dir: str | Path | None = None) -> str:
    """A prompt file of the search space: ``prompts_dir/name`` when given and present,
    else the shipped ``agl_ops/tasks/sql/prompts/name``."""
    if prompts_dir and (Path(prompts_dir) / name).is_file():
        return (Path(prompts_dir) / name).read_text(encoding="utf-8")
    return importlib_resources.files("agl_ops.tasks.sql").joinpath("prompts", name).read_text(encoding="utf-8")


_INSTRUCTION_TAG = re.compile(r"<instruction>\s*(.*?)\s*(?:</instruction>|\Z)", re.S | re.I)
# a proposal that quotes an example (a question or a whole query) is not an instruction
_NOT_AN_INSTRUCTION = re.compile(r"^\s*Question:|\bSELECT\b[^\n]{0,120}?\bFROM\s+\w+\s*(?:WHERE|GROUP|ORDER|JOIN|LIMIT|;|$)",
                                 re.M)


def propose_instructions(complete: Callable[..., str], instructions: Sequence[str], demos: Sequence[Demo], n: int,
                         prompts_dir: str | None, seed: int = 0, max_chars: int = 600) -> list[str]:
    """``n`` new instruction variants from the optimizer LLM (``complete(prompt, seed=)``;
    invalid or repeated ones dropped)."""
    if n <= 0:
        return []
    template = task_prompt_file("propose_instruction.txt", prompts_dir)
    examples = "\n\n".join(f"Question: {d.question}\nSQL: {d.query}" for d in demos[:4]) or "(none yet)"
    listed = "\n".join(f"- {i}" for i in instructions)
    out: list[str] = []
    for k in range(n):
        reply = complete(template.format(instructions=listed, examples=examples), seed=seed + k)
        match = _INSTRUCTION_TAG.search(reply)
        text = (match.group(1) if match else reply).strip().strip('"').strip()
        if not 20 <= len(text) <= max_chars or _NOT_AN_INSTRUCTION.search(text):
            logger.info("proposed instruction dropped: %r", text[:120])
            continue
        if text in instructions or text in out:
            continue
        out.append(text)
    return out


class SqlPromptSpace:
    """The write prompt's search space: the layout (the shipped prompt itself, or one
    composed from an instruction: the project's variants from
    ``prompts/instructions.txt`` plus a few the optimizer LLM proposes), how many train
    demonstrations to show per question (retrieved by BM25 from ``pool``, the train
    tasks the model learned from; never val or test) and how their schema is rendered,
    whether the database is shown with its example rows (``{schema}``) or without them
    (``{schema_no_rows}``: a small model copies sample values into filters), how the
    answer is cued, and whether decoding is constrained by the schema's SQL grammar
    (``constrained``: the baseline's decoding first), and how many queries each writing
    step votes over by their execution results (``samples``: the baseline's first; see
    :mod:`agl_ops.tasks.sql.vote`)."""

    target = "write_prompt"

    def __init__(self, params: SearchParams | None = None, *, pool: Sequence[Mapping[str, Any]] = (),
                 prompts_dir: str | None = None, constrained: Sequence[bool] = (False, True),
                 samples: Sequence[int] = (1,), trained_demos: tuple[int, str] | None = None) -> None:
        self.params = params or SearchParams()
        self.pool = [dict(r) for r in pool]
        self.prompts_dir = prompts_dir
        self.constrained = tuple(constrained)
        self.samples = tuple(dict.fromkeys(int(n) for n in samples)) or (1,)
        # (count, schema style) of the demos the model was warm-started with (None: none)
        self.trained_demos = trained_demos if trained_demos and self.pool else None
        self._demo_settings: dict[tuple[int, str], dict[str, Any]] = {}

    def fingerprint(self) -> dict[str, Any]:
        """The space itself (a changed space starts a fresh study)."""
        return {"version": 5, "samples": self.samples, "trained_demos": self.trained_demos,
                "layouts": LAYOUTS, "cues": ANSWER_CUES, "demo_schema": DEMO_SCHEMA_STYLES,
                "schema": SCHEMA_VIEWS, "constrained": self.constrained, "few_shot": self.few_shot_counts(),
                "pool": [r.get("id", r["question"]) for r in self.pool],
                "instructions": task_prompt_file("instructions.txt", self.prompts_dir)}

    def few_shot_counts(self) -> list[int]:
        """0 to ``max_demos`` demos per question (none without a pool)."""
        return list(range(min(self.params.max_demos, 8) + 1)) if self.pool else [0]

    def prepare(self, successes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], labeled: Sequence[Mapping[str, Any]],
                rng: random.Random, complete: Callable[..., str] | None, seed: int = 0) -> dict[str, Any]:
        """The instructions trials choose from, as JSON (stored on the study); the
        optimizer LLM may add some (shown a few pool questions with their queries)."""
        instructions = parse_instructions(task_prompt_file("instructions.txt", self.prompts_dir))
        if self.params.proposed_instructions and complete is not None:
            shown = [Demo(question=str(r["question"]), query=str(r["query"]), db_path=str(r["db_path"]))
                     for r in rng.sample(self.pool, min(4, len(self.pool)))]
            try:
                instructions += propose_instructions(complete, instructions, shown, self.params.proposed_instructions,
                                                     self.prompts_dir, seed=seed)
            except Exception as exc:  # the optimizer LLM is optional here: the project's variants remain
                logger.warning("optimizer LLM could not propose instructions: %s", exc)
        logger.info("prompt space: %d instructions, %d pool demos", len(instructions), len(self.pool))
        return {"instructions": instructions}

    def seed_trials(self, state: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One change at a time from the shipped prompt (the demos the model was trained
        to read, if any; voting over samples; constrained decoding; the most demos), then a
        composed layout with demos and constraint: a fine-tuned model knows the prompt it
        was trained on, so its own layout is tried first."""
        constrained, demos = self.constrained[-1], self.few_shot_counts()[-1]
        shipped = {"layout": "shipped", "few_shot": 0, "demo_schema": "none", "constrained": self.constrained[0],
                   "samples": self.samples[0]}
        trained = []
        if self.trained_demos is not None:
            k = min(self.trained_demos[0], demos)
            trained = [{**shipped, "few_shot": k, "demo_schema": self.trained_demos[1]}] if k else []
        trials = trained + [{**shipped, "samples": self.samples[-1]}, {**shipped, "constrained": constrained},
                  {**shipped, "few_shot": demos},
                  {**shipped, "layout": "composed", "instruction": 0, "cue": "sql_label", "schema": "rows",
                   "few_shot": demos, "constrained": constrained}]
        out: list[dict[str, Any]] = []
        for t in trials:
            if t != shipped and t not in out:  # never the baseline itself
                out.append(t)
        return out

    def suggest(self, trial: Any, state: Mapping[str, Any]) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
        """One point of the space: (template, agent settings, the trial's config). The
        ``shipped`` layout keeps the baseline's own write prompt (template None), the one
        the shipped model was trained on, and varies only demos and decoding; ``composed``
        writes a new prompt from an instruction, a schema view and a cue."""
        config: dict[str, Any] = {
            "layout": trial.suggest_categorical("layout", list(LAYOUTS)),
            "few_shot": trial.suggest_categorical("few_shot", self.few_shot_counts()),
            "demo_schema": trial.suggest_categorical("demo_schema", list(DEMO_SCHEMA_STYLES)),
            "constrained": trial.suggest_categorical("constrained", list(self.constrained)),
            "samples": trial.suggest_categorical("samples", list(self.samples)),
        }
        if config["layout"] == "shipped":
            return None, self.settings(config), config
        instructions = state["instructions"]
        config["instruction"] = trial.suggest_categorical("instruction", list(range(len(instructions))))
        config["cue"] = trial.suggest_categorical("cue", list(ANSWER_CUES))
        config["schema"] = trial.suggest_categorical("schema", list(SCHEMA_VIEWS))
        template = compose_write_prompt(instructions[config["instruction"]], config["cue"], schema_view=config["schema"])
        return template, self.settings(config), config

    def settings(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """The agent settings of a trial: its decoding when it is not the baseline's
        (``constrained[0]``), its samples when they are not the baseline's, and the demo
        pool when it shows demos."""
        out: dict[str, Any] = {}
        if bool(config["constrained"]) != self.constrained[0]:
            out["constrained"] = bool(config["constrained"])
        if int(config.get("samples", self.samples[0])) != self.samples[0]:
            out["samples"] = int(config["samples"])
        k = int(config.get("few_shot") or 0)
        if k:
            key = (k, str(config["demo_schema"]))
            if key not in self._demo_settings:  # one pool copy per (k, style), shared by trials
                from agl_ops.tasks.sql.agent import demo_settings

                self._demo_settings[key] = demo_settings(self.pool, k, key[1]).values
            out.update(self._demo_settings[key])
        return out

    def placeholders(self, config: Mapping[str, Any], required: set[str]) -> set[str]:
        """The fields a trial's template must have: the database's placeholder of this
        trial stands for ``{schema}``."""
        if "schema" not in required or config.get("layout") == "shipped":
            return set(required)
        return (set(required) - {"schema"}) | {SCHEMA_VIEWS[config.get("schema", "rows")]}


def _sql_outcome(outcome: Mapping[str, Any], max_chars: int = 400) -> list[str]:
    lines = []
    query = outcome.get("final_query")
    if query is not None:
        lines.append(f"Query that ran: {str(query)[:max_chars] or '(none found in the reply)'}")
    err = outcome.get("exec_error")
    return lines + [f"Outcome: error: {str(err)[:200]}" if err else "Outcome: wrong result"]


# APO's view of a failed SQL rollout: the question, the reply, the query that ran and its
# error, and (train tasks only) a correct query; never the database path or the gold query
describe_sql_failure = partial(format_digest, hidden=frozenset({"query", "db_path", "id", "gold", "answer", "label"}),
                               reference_key="query", reference_label="A correct query", outcome_lines=_sql_outcome)

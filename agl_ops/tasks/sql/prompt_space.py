"""The SQL task's prompt search space: few-shot demonstrations for the agent's write
prompt, how a trial composes that prompt from an instruction, demonstrations and a
schema rendering style, and :class:`SqlPromptSpace`, what
:class:`~agl_ops.algorithms.prompt_search.PromptSearch` searches over for this task.

Demonstrations come from train tasks only: first the ones the agent solved itself
with the baseline prompt (bootstrapped: its own query, which returned the reference
result), then, to fill the pool, train tasks with their reference query (labeled).
The pool favours different query shapes (count, aggregate, order/limit, group, join,
nesting) and different databases, so a few demos cover the patterns, not one schema.
A demo's schema can be rendered three ways: ``none`` (question and SQL only),
``columns`` (one ``table(col, ...)`` line per table the query uses) or ``create``
(the CREATE TABLE statements of those tables, the style the agent shows for the real
database).
"""

from __future__ import annotations

import logging
import random
from functools import partial
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from agl_ops.algorithms.apo import format_digest
from agl_ops.algorithms.config import SearchParams
from agl_ops.tasks.sql.demos import DEMO_SCHEMA_STYLES, Demo, render_demo, sql_shape
from agl_ops.tasks.sql.prompts import OPTIONAL_FIELDS

__all__ = ["ANSWER_CUES", "LAYOUTS", "SCHEMA_VIEWS", "SqlPromptSpace", "build_demo_pool", "compose_write_prompt",
           "escape_literal", "parse_instructions", "demo_sets", "demo_counts", "describe_sql_failure", "propose_instructions",
           "task_prompt_file"]

logger = logging.getLogger(__name__)

LAYOUTS = ("demos_first", "schema_first")
# how the database itself is shown: the agent's schema with example rows, or without them
# (a small model copies sample values into filters the question never asked for)
SCHEMA_VIEWS = {"rows": "schema", "no_rows": "schema_no_rows"}
ANSWER_CUES = {
    "fence": "Reply with only the SQL query inside a ```sql code block.",
    "sql_label": "SQL:",
    "comment": "",  # the whole prompt as a SQL file: questions as -- comments, queries after them
}


def _demo(task: Mapping[str, Any], query: str, source: str) -> Demo:
    return Demo(question=str(task["question"]), query=query.strip().rstrip(";"), db_path=str(task["db_path"]),
                db_id=str(task.get("db_id", "")), task_id=str(task.get("id", "")), source=source)


def build_demo_pool(bootstrapped: Iterable[tuple[Mapping[str, Any], str]], labeled: Sequence[Mapping[str, Any]],
                    size: int, rng: random.Random, max_query_chars: int = 240) -> list[Demo]:
    """Up to ``size`` demos: bootstrapped ones first, then labeled train tasks, each time
    preferring a query shape (then a database) not in the pool yet."""
    pool: list[Demo] = []
    shapes: set[tuple[str, ...]] = set()
    dbs: dict[str, int] = {}

    def take(cands: list[Demo], strict: bool) -> None:
        for d in cands:
            if len(pool) >= size:
                return
            shape = sql_shape(d.query)
            if any(p.question == d.question for p in pool) or len(d.query) > max_query_chars:
                continue
            if strict and (shape in shapes or dbs.get(d.db_id, 0) >= max(1, size // 3)):
                continue
            pool.append(d)
            shapes.add(shape)
            dbs[d.db_id] = dbs.get(d.db_id, 0) + 1

    boot = [_demo(t, q, "bootstrapped") for t, q in bootstrapped if q]
    lab = [_demo(t, str(t["query"]), "labeled") for t in labeled if t.get("query") and t.get("db_path")]
    rng.shuffle(boot)
    rng.shuffle(lab)
    for strict in (True, False):
        take(boot, strict)
        take(lab, strict)
    return pool


def demo_sets(pool: Sequence[Demo], n_sets: int, rng: random.Random) -> list[list[int]]:
    """``n_sets`` orderings of the pool (indices) a trial picks one of and takes the first
    ``n_demos`` from: the pool's own order (diverse shapes first), then shuffles."""
    order = list(range(len(pool)))
    sets = [order]
    for _ in range(max(0, n_sets - 1)):
        shuffled = order[:]
        rng.shuffle(shuffled)
        sets.append(shuffled)
    return sets


def demo_counts(max_demos: int, pool_size: int) -> list[int]:
    """The demo counts a trial chooses from: 0 and powers of two up to the limit (and the
    limit itself), so the search covers "none", "a few" and "many" with few choices."""
    top = min(max_demos, pool_size)
    counts = [0] + [n for n in (1, 2, 4, 8, 16, 32, 64) if n < top] + ([top] if top > 0 else [])
    return sorted(set(counts))


def escape_literal(text: str) -> str:
    """Literal text inside an f-string template."""
    return text.replace("{", "{{").replace("}", "}}")


def compose_write_prompt(instruction: str, demos: Sequence[Demo], demo_schema: str, cue: str,
                         layout: str = "demos_first", schema_view: str = "rows") -> str:
    """The write prompt of one trial. ``demos_first``: instruction and demos, then the
    database and the question (the fixed part first, so the server's prefix cache reuses
    it across tasks); ``schema_first``: the database, then the demos right before the
    question (closer to where a small model looks)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose from {LAYOUTS}")
    if schema_view not in SCHEMA_VIEWS:
        raise ValueError(f"unknown schema view {schema_view!r}; choose from {sorted(SCHEMA_VIEWS)}")
    field = "{" + SCHEMA_VIEWS[schema_view] + "}"
    comment = cue == "comment"
    text = instruction.strip()
    intro = escape_literal("\n".join(f"-- {line}" for line in text.splitlines()) if comment else text)
    examples = ""
    if demos:
        shown = "\n\n".join(render_demo(d, demo_schema, comment) for d in demos)
        header = "-- Examples from other databases:" if comment else "Examples from other databases:"
        examples = header + "\n\n" + escape_literal(shown)
    ask = "-- {question}" if comment else "Question: {question}\n" + escape_literal(ANSWER_CUES[cue])
    database = field if comment else "Now the database to query:\n\n" + field
    if layout == "demos_first":
        parts = [intro, examples, database, ask]
    else:
        parts = [intro, database, examples, ask]
    return "\n\n".join(p for p in parts if p) + "\n"


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
    """The write prompt's search space: an instruction (the project's variants from
    ``prompts/instructions.txt`` plus a few the optimizer LLM proposes), how many
    few-shot demonstrations and which ones (a pool bootstrapped from successful train
    rollouts, filled with labeled train tasks), how a demo's schema is rendered (none, a
    column list, CREATE TABLE), whether the database itself is shown with its example
    rows or without them (``{schema}`` / ``{schema_no_rows}``: a small model copies
    sample values into filters) and how the answer is cued."""

    target = "write_prompt"

    def __init__(self, params: SearchParams | None = None, *, prompts_dir: str | None = None) -> None:
        self.params = params or SearchParams()
        self.prompts_dir = prompts_dir

    def fingerprint(self) -> dict[str, Any]:
        """The space itself (a changed space starts a fresh study)."""
        return {"version": 2, "cues": ANSWER_CUES, "demo_schema": DEMO_SCHEMA_STYLES, "layout": LAYOUTS,
                "schema": SCHEMA_VIEWS, "instructions": task_prompt_file("instructions.txt", self.prompts_dir)}

    def prepare(self, successes: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], labeled: Sequence[Mapping[str, Any]],
                rng: random.Random, complete: Callable[..., str] | None, seed: int = 0) -> dict[str, Any]:
        """The material trials choose from, as JSON (stored on the study): the demo pool
        (``successes``: (task, outcome) of train rollouts the baseline solved), its
        orderings, and the instructions."""
        s = self.params
        solved = [(task, str(outcome.get("final_query") or "")) for task, outcome in successes]
        demos = build_demo_pool(solved, labeled, s.demo_pool, rng)
        instructions = parse_instructions(task_prompt_file("instructions.txt", self.prompts_dir))
        if s.proposed_instructions and complete is not None:
            try:
                instructions += propose_instructions(complete, instructions, demos, s.proposed_instructions,
                                                     self.prompts_dir, seed=seed)
            except Exception as exc:  # the optimizer LLM is optional here: the project's variants remain
                logger.warning("optimizer LLM could not propose instructions: %s", exc)
        logger.info("prompt space: %d demos (%d bootstrapped), %d instructions", len(demos),
                    sum(d.source == "bootstrapped" for d in demos), len(instructions))
        return {"demos": [d.model_dump() for d in demos], "demo_sets": demo_sets(demos, s.demo_sets, rng),
                "instructions": instructions}

    def seed_trials(self, state: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A baseline-like layout, and many demos in the plainest style."""
        trials = [{"instruction": 0, "n_demos": 0, "demo_set": 0, "demo_schema": "none", "cue": "fence", "schema": "rows"}]
        counts = demo_counts(self.params.max_demos, len(state["demos"]))
        if counts[-1]:
            trials.append({"instruction": 0, "n_demos": counts[-1], "demo_set": 0, "demo_schema": "none",
                           "cue": "sql_label", "schema": "no_rows"})
        return trials

    def suggest(self, trial: Any, state: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """One point of the space: instruction, demo count, demo set (an ordering of the
        pool, first n taken), demo schema style, answer cue, schema view."""
        demos = [Demo.model_validate(d) for d in state["demos"]]
        sets, instructions = state["demo_sets"], state["instructions"]
        instruction = trial.suggest_categorical("instruction", list(range(len(instructions))))
        n_demos = trial.suggest_categorical("n_demos", demo_counts(self.params.max_demos, len(demos)))
        demo_set = trial.suggest_categorical("demo_set", list(range(len(sets))))
        demo_schema = trial.suggest_categorical("demo_schema", list(DEMO_SCHEMA_STYLES))
        cue = trial.suggest_categorical("cue", list(ANSWER_CUES))
        schema = trial.suggest_categorical("schema", list(SCHEMA_VIEWS))
        chosen = sets[demo_set][:n_demos] if sets else []
        template = compose_write_prompt(instructions[instruction], [demos[i] for i in chosen], demo_schema, cue,
                                        schema_view=schema)
        return template, {"instruction": instruction, "n_demos": n_demos, "demo_set": demo_set, "demos": chosen,
                          "demo_schema": demo_schema, "cue": cue, "schema": schema}

    def placeholders(self, config: Mapping[str, Any], required: set[str]) -> set[str]:
        """The fields a trial's template must have: the database's placeholder of this
        trial stands for ``{schema}``."""
        need = set(required) - OPTIONAL_FIELDS["write_prompt"]  # composed prompts carry their demos inline
        if "schema" not in need:
            return need
        return (need - {"schema"}) | {SCHEMA_VIEWS[config["schema"]]}



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

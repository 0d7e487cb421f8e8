"""The synthetic Spider-format dataset: databases, questions and gold SQL, by seed.

Splits are by database (no database of val or test is seen in train, as in Spider).
Each split gets exact per-tier quotas from the difficulty mix, its questions spread
evenly over its databases. Every gold query is run before it is kept: it must return
rows, not too many, not a lone 0 or 1 (guessable), and an ordered answer must not
depend on ties. Each database is spelled in a naming style drawn by seed
(:mod:`~agl_ops.tasks.sql.synth.naming`). Some phrasings of each template (its
last wording, its last noun phrase, the last request frames: see
:mod:`~agl_ops.tasks.sql.synth.phrasing`) are held out of train and val and used in
test, so test also measures a change of phrasing.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agl_ops.config import SynthParams
from agl_ops.tasks.sql.spider import DIFFICULTIES
from agl_ops.tasks.sql.synth import (  # noqa: F401  (register templates)
    templates_calc, templates_multi, templates_single, templates_values,
)
from agl_ops.tasks.sql.synth.build import create_database, generate_rows, tables_json_entry, write_database
from agl_ops.tasks.sql.synth.context import TEMPLATES, DbContext, Draft, Template
from agl_ops.tasks.sql.synth.domains import DOMAINS
from agl_ops.tasks.sql.synth.naming import choose_style, render_domain
from agl_ops.tasks.sql.synth.phrasing import choose_wording, render_question

__all__ = ["SynthParams", "SynthReport", "generate_dataset", "split_databases", "GENERATOR_VERSION"]

GENERATOR_VERSION = 4
SPLITS = ("train", "val", "test")
_MAX_WORDINGS_PER_QUERY = 2  # one gold query may appear with two phrasings, not more


class SynthReport(BaseModel):
    out_dir: str
    seed: int
    databases: dict[str, list[str]]
    counts: dict[str, dict[str, int]]
    naming: dict[str, str] = {}  # db_id -> its naming style (NamingStyle.describe)
    elapsed_s: float


@dataclass
class _Example:
    question: str
    query: str
    difficulty: str
    template: str


def split_databases(seed: int, val_databases: int, test_databases: int) -> dict[str, list[str]]:
    """Assign whole databases to splits (deterministic by seed)."""
    ids = [d.db_id for d in DOMAINS]
    if val_databases + test_databases >= len(ids):
        raise ValueError(f"{len(ids)} domains cannot give {val_databases} val + {test_databases} test databases and keep some for train")
    random.Random(f"agl-synth:{seed}:split").shuffle(ids)
    test = ids[:test_databases]
    val = ids[test_databases:test_databases + val_databases]
    return {"train": sorted(ids[test_databases + val_databases:]), "val": sorted(val), "test": sorted(test)}


def _quotas(size: int, mix: Mapping[str, float]) -> dict[str, int]:
    unknown = set(mix) - set(DIFFICULTIES)
    if unknown or not mix or sum(mix.values()) <= 0:
        raise ValueError(f"difficulty_mix needs positive weights over {DIFFICULTIES}, got {dict(mix)}")
    total = sum(mix.values())
    raw = {k: size * v / total for k, v in mix.items()}
    quotas = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - quotas[k], reverse=True)[: size - sum(quotas.values())]:
        quotas[k] += 1
    return quotas


def _valid(ctx: DbContext, draft: Draft) -> bool:
    try:
        rows = ctx.run(draft.sql)
        if not rows or len(rows) > draft.max_rows or all(v is None for r in rows for v in r):
            return False
        if len(rows) == 1 and len(rows[0]) == 1 and rows[0][0] in (0, 1):
            return False  # "SELECT 1" or any lookup by id would match: a reward a policy could learn to game
        if draft.tie_sql is not None:
            keys = [r[0] for r in ctx.run(draft.tie_sql)]
            if len(set(keys)) != len(keys):
                return False
    except Exception as exc:  # a template bug must be loud, not a silently skipped example
        raise RuntimeError(f"gold SQL failed on {ctx.domain.db_id}: {exc}\n  {draft.sql}") from exc
    return True


def _question(rng: random.Random, tpl: Template, fields: dict[str, Any], split: str, heldout_share: float) -> str:
    heldout = split == "test" and rng.random() < heldout_share
    wording = choose_wording(rng, tpl.wordings, tpl.nps, tpl.frames, heldout)
    return render_question(rng, wording, fields)


def _make_example(rng: random.Random, ctx: DbContext, by_tier: dict[str, list[Template]], tier: str,
                  split: str, heldout_share: float, seen: set[tuple[str, str]], seen_sql: Counter) -> _Example | None:
    for _ in range(200):
        tpl = rng.choices(by_tier[tier], weights=[t.weight for t in by_tier[tier]])[0]
        draft = tpl.fn(rng, ctx)
        if draft is None or not _valid(ctx, draft):
            continue
        question = _question(rng, tpl, draft.fields, split, heldout_share)
        key, sql_key = (ctx.domain.db_id, question), (ctx.domain.db_id, draft.sql)
        if key in seen or seen_sql[sql_key] >= _MAX_WORDINGS_PER_QUERY:
            continue
        seen.add(key)
        seen_sql[sql_key] += 1
        return _Example(question, draft.sql, tier, tpl.name)
    return None


def _split_examples(rng: random.Random, split: str, size: int, dbs: Sequence[DbContext], cfg: SynthParams,
                    seen: set[tuple[str, str]]) -> list[dict[str, Any]]:
    by_tier = {tier: [t for t in TEMPLATES if t.tier == tier] for tier in DIFFICULTIES}
    tiers = [tier for tier, n in _quotas(size, cfg.difficulty_mix).items() for _ in range(n)]
    rng.shuffle(tiers)
    seen_sql: Counter = Counter()
    out = []
    for i, tier in enumerate(tiers):
        example = None
        for shift in range(len(dbs)):  # a database out of fresh questions: try the next one
            ctx = dbs[(i + shift) % len(dbs)]
            example = _make_example(rng, ctx, by_tier, tier, split, cfg.heldout_wording_share, seen, seen_sql)
            if example is not None:
                break
        if example is None:
            raise RuntimeError(f"could not make {size} distinct {split} questions; lower {split}_size or add databases")
        out.append({"id": f"{split}-{i:05d}", "db_id": ctx.domain.db_id, "question": example.question,
                    "query": example.query, "difficulty": example.difficulty, "template": example.template})
    return out


def _write_handwritten(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shipped hand-written train set's databases written into ``out``; returns
    (its questions as train rows, its tables.json entries)."""
    from agl_ops.tasks.sql.handwritten import HANDWRITTEN

    entries = HANDWRITTEN.write_databases(out)
    rows = [{"id": f"train-hw-{i:04d}", **row, "template": "handwritten"} for i, row in enumerate(HANDWRITTEN.load_questions())]
    return rows, entries


def generate_dataset(out_dir: str | Path, cfg: SynthParams | None = None) -> SynthReport:
    """Write ``tables.json``, ``train.json``/``val.json``/``test.json`` and the databases
    (a ``seed`` of None in ``cfg`` means 0; the CLI passes the global seed)."""
    cfg = cfg or SynthParams()
    seed = cfg.seed if cfg.seed is not None else 0
    start = time.perf_counter()
    out = Path(out_dir)
    assignment = split_databases(seed, cfg.val_databases, cfg.test_databases)
    contexts: dict[str, DbContext] = {}
    naming: dict[str, str] = {}
    for spec in DOMAINS:
        style = choose_style(random.Random(f"agl-synth:{seed}:{spec.db_id}:naming"), cfg.naming_styles)
        domain = render_domain(spec, style)
        rows = generate_rows(domain, random.Random(f"agl-synth:{seed}:{domain.db_id}:rows"))
        contexts[domain.db_id] = DbContext(domain, create_database(domain, rows), rows)
        naming[domain.db_id] = style.describe()
    sizes = {"train": cfg.train_size, "val": cfg.val_size, "test": cfg.test_size}
    counts: dict[str, dict[str, int]] = {}
    seen: set[tuple[str, str]] = set()
    out.mkdir(parents=True, exist_ok=True)
    handwritten, hw_entries = _write_handwritten(out) if cfg.handwritten_train else ([], [])
    for split in SPLITS:
        rng = random.Random(f"agl-synth:{seed}:{split}:questions")
        examples = _split_examples(rng, split, sizes[split], [contexts[d] for d in assignment[split]], cfg, seen)
        if split == "train":
            examples += handwritten
        (out / f"{split}.json").write_text(json.dumps(examples, indent=1, ensure_ascii=False) + "\n")
        counts[split] = dict(sorted(Counter(e["difficulty"] for e in examples).items()))
    for db_id, ctx in contexts.items():
        write_database(ctx.conn, out / "database" / db_id / f"{db_id}.sqlite")
        ctx.conn.close()
    entries = [tables_json_entry(c.domain) for c in contexts.values()] + hw_entries
    (out / "tables.json").write_text(json.dumps(entries, indent=1) + "\n")
    if hw_entries:
        assignment = {**assignment, "train": [*assignment["train"], *(e["db_id"] for e in hw_entries)]}
    report = SynthReport(out_dir=str(out), seed=seed, databases=assignment, counts=counts, naming=naming,
                         elapsed_s=round(time.perf_counter() - start, 3))
    manifest = {"generator_version": GENERATOR_VERSION, "config": {**cfg.model_dump(), "seed": seed}, **report.model_dump(exclude={"elapsed_s", "out_dir"})}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return report

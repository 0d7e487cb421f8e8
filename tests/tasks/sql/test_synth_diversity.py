"""The generator's breadth (issue 14.3): more domains, naming styles, value kinds
(NULLs, dates, flags, patterns, arithmetic, CASE, NOT EXISTS), many phrasings with
held-out ones for test; every gold query runs and answers something."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from agl_ops.tasks.sql.execution import execute_sql
from agl_ops.tasks.sql.spider import SpiderDataset
from agl_ops.tasks.sql.synth import SynthParams, generate_dataset, split_databases
from agl_ops.tasks.sql.synth.context import TEMPLATES
from agl_ops.tasks.sql.synth.domains import DOMAINS, domain_by_id
from agl_ops.tasks.sql.synth.domains_more import MORE_DOMAINS
from agl_ops.tasks.sql.synth.naming import RESERVED, STYLE_NAMES, NamingStyle, render_domain
from agl_ops.tasks.sql.synth.phrasing import FRAMES, HELDOUT_FRAMES, wording_forms

SPLITS = ("train", "val", "test")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("diverse")
    generate_dataset(out, SynthParams(seed=11, train_size=900, val_size=150, test_size=150))
    return out


def _rows(root: Path, split: str) -> list[dict]:
    return json.loads((root / f"{split}.json").read_text())


def _identifiers(db: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


def test_new_domains_are_well_formed() -> None:
    assert len(MORE_DOMAINS) >= 8 and len(DOMAINS) >= 20
    assert len({d.db_id for d in DOMAINS}) == len(DOMAINS)
    for d in MORE_DOMAINS:
        assert 3 <= len(d.tables) <= 5, d.db_id
        assert any(c.kind == "fk" for t in d.tables for c in t.columns), d.db_id
        kinds = {c.kind for t in d.tables for c in t.columns}
        assert {"bool"} <= kinds and kinds & {"date", "timestamp"}, d.db_id
        assert any(c.null_frac for t in d.tables for c in t.columns), d.db_id
        for t in d.tables:
            assert t.col(t.label) and all(c.ref in {x.name for x in d.tables} for c in t.columns if c.kind == "fk")


def test_every_domain_renders_in_every_style_without_keywords() -> None:
    styles = [NamingStyle("x", tc, cc, number, abbr, prefix, pk)
              for tc, cc in (("snake", "snake"), ("pascal", "camel"), ("pascal", "pascal"), ("title", "title"), ("flat", "flat"))
              for number in ("spec", "singular", "plural") for abbr in (False, True) for prefix in ("", "tbl")
              for pk in (False, True)]
    for domain in DOMAINS:
        for style in styles:
            rendered = render_domain(domain, style)
            names = [t.name for t in rendered.tables]
            assert len({n.lower() for n in names}) == len(names)
            for t in rendered.tables:
                cols = [c.name for c in t.columns]
                assert len({c.lower() for c in cols}) == len(cols), (domain.db_id, style, cols)
                assert not {n.lower() for n in [t.name, *cols]} & RESERVED
                assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in [t.name, *cols])


def test_naming_styles_render_real_world_spellings() -> None:
    store = domain_by_id("online_store")
    pascal = render_domain(store, NamingStyle("pascal", "pascal", "pascal", "plural"))
    assert [t.name for t in pascal.tables] == ["Customers", "Products", "Orders", "OrderItems"]
    assert pascal.table("Orders").col("CustomerID").ref == "Customers"
    camel = render_domain(store, NamingStyle("camel", "camel", "camel", "singular"))
    assert camel.tables[3].name == "orderItem" and camel.tables[1].col("unitPrice").logical == "unit_price"
    legacy = render_domain(store, NamingStyle("legacy", "snake", "snake", "spec", True, "tbl"))
    assert legacy.tables[0].name == "tbl_customers" and legacy.tables[0].col("cust_id").kind == "pk"
    assert legacy.tables[3].col("qty").logical == "quantity"
    rails = render_domain(store, NamingStyle("rails", number="plural", pk_id=True))
    assert rails.tables[2].pk.name == "id" and rails.tables[2].col("customer_id").ref == "customers"
    football = render_domain(domain_by_id("football_league"), NamingStyle("plain"))
    assert "matches" in [t.name for t in football.tables]  # "match" is an SQL keyword
    assert [t.name for t in render_domain(store, NamingStyle("plain")).tables] == [t.name for t in store.tables]


def test_generated_databases_use_several_styles(data: Path) -> None:
    manifest = json.loads((data / "manifest.json").read_text())
    styles = Counter(s.split(" ", 1)[0] for s in manifest["naming"].values())
    assert set(manifest["naming"]) == {d.db_id for d in DOMAINS}
    assert len(styles) >= 5 and set(styles) <= set(STYLE_NAMES)
    idents = {d.db_id: _identifiers(data / "database" / d.db_id / f"{d.db_id}.sqlite") for d in DOMAINS}
    camel_like = [db for db, tables in idents.items()
                  if any(re.search(r"[a-z][A-Z]", c) for cols in tables.values() for c in cols)]
    assert camel_like  # some database is spelled camelCase/PascalCase
    entries = {e["db_id"]: e for e in json.loads((data / "tables.json").read_text())}
    for db, tables in idents.items():
        assert sorted(entries[db]["table_names_original"]) == sorted(tables)
        assert all(" " in n or n.islower() for _, n in entries[db]["column_names"][1:])  # natural names, not identifiers


def test_gold_sql_uses_rendered_names_and_questions_do_not_echo_them(data: Path) -> None:
    for split in SPLITS:
        for row in _rows(data, split):
            tables = _identifiers(data / "database" / row["db_id"] / f"{row['db_id']}.sqlite")
            assert any(re.search(rf"\b{re.escape(t)}\b", row["query"]) for t in tables), row
            spelled = {n for t, cols in tables.items() for n in [t, *cols] if "_" in n or re.search(r"[a-z][A-Z]", n)}
            echoed = [n for n in spelled if re.search(rf"\b{re.escape(n)}\b", row["question"])]
            assert not echoed, (row["question"], echoed)


def test_every_gold_query_runs_and_returns_rows(data: Path) -> None:
    ds = SpiderDataset(data)
    for split in SPLITS:
        for task in ds.load(split):
            result = execute_sql(task.db_path, task.query)
            assert result.ok and result.rows, (task.id, task.query, result.error)
            assert result.rows not in ([(0,)], [(1,)]), (task.id, task.query)


@pytest.mark.parametrize(("kind", "pattern"), [
    ("null", r"\bIS (NOT )?NULL\b"), ("like", r"\bLIKE '"), ("year", r"strftime\('%Y', "),
    ("month", r"strftime\('%Y-%m', "), ("range", r"BETWEEN '\d{4}-\d\d-\d\d' AND"), ("since", r">= '\d{4}-\d\d-\d\d'"),
    ("flag", r"\b\w+ = [01]\b(?! THEN)"), ("case", r"\bCASE WHEN\b"), ("distinct", r"count\(DISTINCT "),
    ("arithmetic", r"\w \* \w|\w - \w|\w \+ \w|\w / [\w\d]"), ("not_exists", r"\bNOT EXISTS\b"),
    ("not_in", r"\bNOT IN\b"), ("in_list", r"\bIN \('"), ("order_limit", r"ORDER BY .* LIMIT \d+$"),
])
def test_value_and_computation_kinds_appear_in_train(data: Path, kind: str, pattern: str) -> None:
    train = _rows(data, "train")
    assert sum(bool(re.search(pattern, r["query"])) for r in train) >= 3, kind


def test_tiers_keep_their_meaning(data: Path) -> None:
    train = _rows(data, "train")
    by_tier: dict[str, list[str]] = {}
    for r in train:
        by_tier.setdefault(r["difficulty"], []).append(r["query"])
    assert not any(" JOIN " in q or "GROUP BY" in q or "(SELECT" in q for q in by_tier["easy"])
    assert not any(" JOIN " in q or "(SELECT" in q for q in by_tier["medium"])
    assert all(" JOIN " in q or "GROUP BY" in q or "(SELECT" in q or "CASE" in q for q in by_tier["hard"])
    assert all(" JOIN " in q or "(SELECT" in q for q in by_tier["extra"])


def test_many_phrasings_per_intent() -> None:
    for tpl in TEMPLATES:
        seen, held = wording_forms(tpl.wordings, tpl.nps, tpl.frames)
        assert len(tpl.wordings) >= 5 and len(tpl.nps) >= 4, tpl.name
        assert len(seen) >= 50 and held and not set(seen) & set(held), tpl.name
    questions = [r["question"] for r in json.loads(_quick_train())]
    openers = Counter(" ".join(q.split()[:2]).lower() for q in questions)
    assert len(openers) >= 60  # "could you", "how many", "i need", "show me", ...
    assert any(q.startswith(("Could you", "Can you", "Please", "I need", "I'd like")) for q in questions)
    assert any(q[0].islower() for q in questions)  # some typed in a hurry


def _quick_train() -> str:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        generate_dataset(tmp, SynthParams(seed=5, train_size=400, val_size=20, test_size=20))
        return (Path(tmp) / "train.json").read_text()


def _pattern(wording: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_0-9]+\}", wording.rstrip("?."))
    return re.compile("(?is)" + ".+".join(re.escape(p) for p in parts) + r"[?.]?")


def test_heldout_phrasings_only_in_test(data: Path) -> None:
    by_name = {t.name: t for t in TEMPLATES}
    forms = {name: wording_forms(t.wordings, t.nps, t.frames) for name, t in by_name.items()}
    patterns = {name: [_pattern(w) for w in seen] for name, (seen, _) in forms.items()}

    def seen_form(row: dict) -> bool:
        return any(p.fullmatch(row["question"]) for p in patterns[row["template"]])

    for split in ("train", "val"):
        unmatched = [r["question"] for r in _rows(data, split) if not seen_form(r)]
        assert not unmatched, unmatched[:5]
    assert sum(not seen_form(r) for r in _rows(data, "test")) >= 20
    held_openers = {f.split("{")[0].strip() for fam in FRAMES.values() for f in fam[-HELDOUT_FRAMES:]} - {""}
    for split in ("train", "val"):
        assert not [r for r in _rows(data, split) if r["question"].lower().startswith(tuple(o.lower() for o in held_openers))]
    assert any(r["question"].startswith(tuple(held_openers)) for r in _rows(data, "test"))


def test_byte_identical_by_seed(tmp_path: Path) -> None:
    cfg = SynthParams(seed=21, train_size=200, val_size=30, test_size=30)
    generate_dataset(tmp_path / "a", cfg)
    generate_dataset(tmp_path / "b", cfg)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 4 + 1 + len(DOMAINS)  # 3 splits, tables.json, manifest.json, one SQLite file per database
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_heldout_databases_never_in_train() -> None:
    for seed in range(30):
        split = split_databases(seed, 2, 2)
        assert not set(split["train"]) & (set(split["val"]) | set(split["test"]))
        assert not set(split["val"]) & set(split["test"]) and len(split["train"]) == len(DOMAINS) - 4
    rng = random.Random(0)
    assert len({tuple(split_databases(rng.randint(0, 10**6), 2, 2)["test"]) for _ in range(20)}) > 5


def test_one_naming_style_when_asked(tmp_path: Path) -> None:
    assert SynthParams().naming_styles == list(STYLE_NAMES)
    report = generate_dataset(tmp_path, SynthParams(seed=1, train_size=40, val_size=8, test_size=8, naming_styles=["plain"]))
    assert {s.split(" ", 1)[0] for s in report.naming.values()} == {"plain"}
    tables = json.loads((tmp_path / "tables.json").read_text())
    spec = {d.db_id: [t.name for t in d.tables] for d in DOMAINS}
    assert all(e["table_names_original"] == [n if n != "match" else "matches" for n in spec[e["db_id"]]] for e in tables)
    with pytest.raises(ValueError, match="unknown naming style"):
        generate_dataset(tmp_path / "bad", SynthParams(seed=1, train_size=4, val_size=2, test_size=2, naming_styles=["kebab"]))


def test_every_phrasing_fills_from_its_template_fields() -> None:
    from agl_ops.tasks.sql.synth.build import create_database, generate_rows
    from agl_ops.tasks.sql.synth.context import DbContext
    from agl_ops.tasks.sql.synth.naming import choose_style

    contexts = []
    for d in DOMAINS:
        domain = render_domain(d, choose_style(random.Random(d.db_id), STYLE_NAMES))
        rows = generate_rows(domain, random.Random(f"{d.db_id}:rows"))
        contexts.append(DbContext(domain, create_database(domain, rows), rows))
    rng = random.Random(0)
    for tpl in TEMPLATES:
        drafts = [draft for ctx in contexts for _ in range(12) if (draft := tpl.fn(rng, ctx)) is not None]
        assert drafts, tpl.name
        seen, held = wording_forms(tpl.wordings, tpl.nps, tpl.frames)
        for wording in seen + held:
            for draft in drafts[:5]:
                text = wording.format(**draft.fields)
                assert "{" not in text and "  " not in text.strip(), (tpl.name, text)


def test_byte_identical_across_processes(tmp_path: Path) -> None:
    """No set or dict order leaks into the output: two interpreters with different
    hash seeds write the same bytes."""
    import os
    import subprocess
    import sys

    code = ("import sys; from agl_ops.tasks.sql.synth import SynthParams, generate_dataset; "
            "generate_dataset(sys.argv[1], SynthParams(seed=4, train_size=120, val_size=20, test_size=20))")
    for name, hash_seed in (("a", "1"), ("b", "12345")):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True,
                       env={**os.environ, "PYTHONHASHSEED": hash_seed})
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)

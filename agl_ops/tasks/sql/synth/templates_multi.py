"""Templates over grouping and several tables: the hard tier (GROUP BY, HAVING, joins)
and the extra tier (nested queries, joins with grouping, anti-joins)."""

from __future__ import annotations

import random

from agl_ops.tasks.sql.synth.context import DbContext, Draft, FkLink, fmt_value, sql_literal, template, threshold
from agl_ops.tasks.sql.synth.spec import Column

__all__: list[str] = []

_AGG = {"avg": ("average", "mean"), "max": ("maximum", "highest"), "min": ("minimum", "lowest"), "sum": ("total",)}


def _p(rng: random.Random, col: Column) -> str:
    return rng.choice(col.phrases)


def _link(rng: random.Random, db: DbContext, *, child_label: bool = False, single: bool = False,
          parent_cat: bool = False, parent_num: bool = False, child_num: bool = False) -> FkLink | None:
    links = [
        ln for ln in db.links
        if (not child_label or ln.child.has_text_label) and (not single or db.single_link(ln))
        and (not parent_cat or db.cat_cols(ln.parent)) and (not parent_num or db.num_cols(ln.parent))
        and (not child_num or db.num_cols(ln.child)) and ln.parent.has_text_label
    ]
    return rng.choice(links) if links else None


def _join(ln: FkLink) -> str:
    return f"{ln.child.name} AS c JOIN {ln.parent.name} AS p ON c.{ln.fk.name} = p.{ln.parent.pk.name}"


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _fields(rng: random.Random, ln: FkLink) -> dict[str, str]:
    rel = rng.choice(ln.fk.phrases) if ln.fk.words else ln.parent.singular
    return {
        "child": ln.child.singular, "children": ln.child.plural, "parent": ln.parent.singular,
        "parents": ln.parent.plural, "rel": rel, "a_rel": _a(rel),
        "clabel": _p(rng, ln.child.label_col), "plabel": _p(rng, ln.parent.label_col),
    }


# -- hard ---------------------------------------------------------------------------
@template("hard",
          "For each {cat}, how many {plural} are there?",
          "Count the {plural} for every {cat}.",
          "How many {plural} are there per {cat}? Show the {cat} and the count.",
          "{plural} per {cat}: give each {cat} with its number of {plural}.")
def group_count(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    cat = rng.choice(db.cat_cols(t))
    return Draft({"plural": t.plural, "cat": _p(rng, cat)},
                 f"SELECT {cat.name}, count(*) FROM {t.name} GROUP BY {cat.name}")


@template("hard",
          "What is the {agg} {num} of {plural} for each {cat}?",
          "For every {cat}, show the {agg} {num} of its {plural}.",
          "Give each {cat} together with the {agg} {num} of the {plural} that have it.",
          "{agg} {num} of {plural}, broken down by {cat}.")
def group_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t) and db.num_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    cat, num = rng.choice(db.cat_cols(t)), rng.choice(db.num_cols(t))
    fn = rng.choice(["avg", "max", "min"] + ([] if num.kind == "year" else ["sum"]))
    return Draft({"plural": t.plural, "cat": _p(rng, cat), "num": _p(rng, num), "agg": rng.choice(_AGG[fn])},
                 f"SELECT {cat.name}, {fn}({num.name}) FROM {t.name} GROUP BY {cat.name}")


@template("hard",
          "Which {cat} values are shared by more than {n} {plural}?",
          "Find each {cat} that more than {n} {plural} have.",
          "List the {cat} values that appear in more than {n} {plural}.",
          "{cat} values held by over {n} {plural}?")
def having_count(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t)) and db.n_rows(t) >= 10)
    if not tables:
        return None
    t = rng.choice(tables)
    cat = rng.choice(db.cat_cols(t))
    counts = sorted(n for (n,) in db.run(f"SELECT count(*) FROM {t.name} GROUP BY {cat.name}"))
    if len(counts) < 3:
        return None
    n = counts[rng.randint(0, len(counts) - 2)]
    return Draft({"plural": t.plural, "cat": _p(rng, cat), "n": n},
                 f"SELECT {cat.name} FROM {t.name} GROUP BY {cat.name} HAVING count(*) > {n}")


@template("hard",
          "Which {cat} is the most common among {plural}?",
          "What is the most frequent {cat} of the {plural}?",
          "Which {cat} do the most {plural} have?",
          "Most common {cat} across {plural}?")
def most_common(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    cat = rng.choice(db.cat_cols(t))
    return Draft({"plural": t.plural, "cat": _p(rng, cat)},
                 f"SELECT {cat.name} FROM {t.name} GROUP BY {cat.name} ORDER BY count(*) DESC LIMIT 1",
                 tie_sql=f"SELECT count(*) FROM {t.name} GROUP BY {cat.name} ORDER BY count(*) DESC LIMIT 2")


@template("hard",
          "List the {clabel} of each {child} together with the {plabel} of its {rel}.",
          "Show every {child}'s {clabel} and the {plabel} of its {rel}.",
          "For each {child}, give its {clabel} and its {rel}'s {plabel}.",
          "{children} paired with their {rel}: {clabel}, then the {rel}'s {plabel}.")
def join_pairs(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, child_label=True)
    if ln is None or db.n_rows(ln.child) > 60:
        return None
    return Draft(_fields(rng, ln), f"SELECT c.{ln.child.label}, p.{ln.parent.label} FROM {_join(ln)}")


@template("hard",
          "List the {clabel} of {children} whose {rel} has {pcat} {value}.",
          "Which {children} have {a_rel} with {pcat} {value}? Give their {clabel}.",
          "Show the {clabel} of every {child} whose {rel}'s {pcat} is {value}.",
          "{clabel} of {children} linked to {a_rel} with {pcat} = {value}?")
def join_filter(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, child_label=True, parent_cat=True)
    if ln is None:
        return None
    cat = rng.choice(db.cat_cols(ln.parent))
    value = rng.choice(db.values(ln.parent, cat))
    return Draft({**_fields(rng, ln), "pcat": _p(rng, cat), "value": value},
                 f"SELECT c.{ln.child.label} FROM {_join(ln)} WHERE p.{cat.name} = {sql_literal(value)}")


@template("hard",
          "How many {children} have {name} as their {rel}?",
          "Count the {children} whose {rel} is {name}.",
          "What is the number of {children} with the {rel} {name}?",
          "{rel} {name}: number of {children}?")
def join_count(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db)
    if ln is None:
        return None
    name = rng.choice(db.values(ln.parent, ln.parent.label_col))
    return Draft({**_fields(rng, ln), "name": name},
                 f"SELECT count(*) FROM {_join(ln)} WHERE p.{ln.parent.label} = {sql_literal(name)}")


@template("hard",
          "For each {parent} that has {children}, how many {children} does it have? Show the {plabel} and the count.",
          "List the {plabel} of every {parent} with at least one {child}, and its number of {children}.",
          "Give each {parent}'s {plabel} with the count of its {children} (only {parents} that have some).",
          "{plabel} and number of {children}, per {parent} (skip those with none).")
def join_group_count(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, single=True)
    if ln is None:
        return None
    return Draft(_fields(rng, ln),
                 f"SELECT p.{ln.parent.label}, count(*) FROM {_join(ln)} GROUP BY p.{ln.parent.pk.name}")


# -- extra --------------------------------------------------------------------------
@template("extra",
          "Which {plural} have {a_num} above the average? List their {label}.",
          "List the {label} of {plural} whose {num} is higher than the average {num} of all {plural}.",
          "Show the {label} of every {singular} with an above-average {num}.",
          "{plural} whose {num} beats the mean: {label}?")
def above_average(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: t.has_text_label and bool(db.num_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    num = rng.choice(db.num_cols(t))
    phrase = _p(rng, num)
    return Draft({"singular": t.singular, "plural": t.plural, "label": _p(rng, t.label_col), "num": phrase,
                  "a_num": _a(phrase)},
                 f"SELECT {t.label} FROM {t.name} WHERE {num.name} > (SELECT avg({num.name}) FROM {t.name})")


@template("extra",
          "Which {parents} have no {children}? Give their {plabel}.",
          "List the {plabel} of {parents} that do not have any {children}.",
          "Show the {plabel} of every {parent} without a single {child}.",
          "{parents} lacking any {children} ({plabel})?")
def without_children(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, single=True)
    if ln is None:
        return None
    p, c = ln.parent, ln.child
    return Draft(_fields(rng, ln),
                 f"SELECT {p.label} FROM {p.name} WHERE {p.pk.name} NOT IN "
                 f"(SELECT {ln.fk.name} FROM {c.name} WHERE {ln.fk.name} IS NOT NULL)")


@template("extra",
          "Which {parent} has the most {children}?",
          "What is the {plabel} of the {parent} with the largest number of {children}?",
          "Find the {parent} that has more {children} than any other; give its {plabel}.",
          "{parent} with the most {children} ({plabel})?")
def most_children(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, single=True)
    if ln is None:
        return None
    group = f"FROM {_join(ln)} GROUP BY p.{ln.parent.pk.name} ORDER BY count(*) DESC"
    return Draft(_fields(rng, ln), f"SELECT p.{ln.parent.label} {group} LIMIT 1",
                 tie_sql=f"SELECT count(*) {group} LIMIT 2")


@template("extra",
          "Which {parents} have more than {n} {children}? Give their {plabel}.",
          "List the {plabel} of {parents} with more than {n} {children}.",
          "Show the {plabel} of every {parent} that has over {n} {children}.",
          "{parents} having over {n} {children}: {plabel}?")
def parents_having(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, single=True)
    if ln is None:
        return None
    counts = sorted(n for (n,) in db.run(f"SELECT count(*) FROM {_join(ln)} GROUP BY p.{ln.parent.pk.name}"))
    if len(counts) < 3:
        return None
    n = counts[rng.randint(len(counts) // 3, len(counts) - 2)]
    return Draft({**_fields(rng, ln), "n": n},
                 f"SELECT p.{ln.parent.label} FROM {_join(ln)} GROUP BY p.{ln.parent.pk.name} HAVING count(*) > {n}")


@template("extra",
          "For each {parent}, what is the {agg} {cnum} of its {children}? Show the {plabel} too.",
          "List every {parent}'s {plabel} with the {agg} {cnum} of its {children}.",
          "Give the {plabel} of each {parent} and the {agg} {cnum} over its {children}.",
          "{agg} {cnum} of {children}, per {parent} ({plabel}).")
def join_group_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, single=True, child_num=True)
    if ln is None:
        return None
    num = rng.choice(db.num_cols(ln.child))
    fn = rng.choice(["avg", "max", "min"] + ([] if num.kind == "year" else ["sum"]))
    return Draft({**_fields(rng, ln), "cnum": _p(rng, num), "agg": rng.choice(_AGG[fn])},
                 f"SELECT p.{ln.parent.label}, {fn}(c.{num.name}) FROM {_join(ln)} GROUP BY p.{ln.parent.pk.name}")


@template("extra",
          "List the {clabel} of {children} whose {rel} has {a_pnum} {op} {x}.",
          "Which {children} belong to {a_rel} with {pnum} {op} {x}? Give their {clabel}.",
          "Show the {clabel} of every {child} whose {rel}'s {pnum} is {op} {x}.",
          "{clabel} of {children} where the {rel}'s {pnum} is {op} {x}?")
def nested_filter(rng: random.Random, db: DbContext) -> Draft | None:
    ln = _link(rng, db, child_label=True, parent_num=True)
    if ln is None:
        return None
    num = rng.choice(db.num_cols(ln.parent))
    x = threshold(rng, db.values(ln.parent, num), num)
    greater = rng.random() < 0.5
    op = rng.choice(("greater than", "above", "over") if greater else ("less than", "below", "under"))
    phrase = _p(rng, num)
    return Draft({**_fields(rng, ln), "pnum": phrase, "a_pnum": _a(phrase), "op": op, "x": fmt_value(x)},
                 f"SELECT {ln.child.label} FROM {ln.child.name} WHERE {ln.fk.name} IN "
                 f"(SELECT {ln.parent.pk.name} FROM {ln.parent.name} WHERE {num.name} {'>' if greater else '<'} {sql_literal(x)})")

"""Single-table question templates: the easy tier (listing, counting, one filter, one
aggregate over a table: Spider's "easy") and the medium tier (ordering and limits,
filtered aggregates, combined conditions, dates)."""

from __future__ import annotations

import random

from agl_ops.tasks.sql.synth.context import DbContext, Draft, fmt_value, sql_literal, template, threshold
from agl_ops.tasks.sql.synth.spec import Column, Table

__all__: list[str] = []

_GT = ("greater than", "more than", "above", "over")
_LT = ("less than", "below", "under", "lower than")
_AGG = {"avg": ("average", "mean"), "max": ("maximum", "highest", "largest"), "min": ("minimum", "lowest", "smallest"),
        "sum": ("total", "combined")}


def _p(rng: random.Random, col: Column) -> str:
    return rng.choice(col.phrases)


def _a(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _pick(rng: random.Random, items: list) -> object | None:
    return rng.choice(items) if items else None


def _labelled(db: DbContext, max_rows: int = 1000) -> list[Table]:
    return db.tables(lambda t: t.has_text_label and db.n_rows(t) <= max_rows)


def _not_null_nums(db: DbContext, t: Table) -> list[Column]:
    """Numeric columns without NULLs: ordering by a column with NULLs puts them first
    in ascending order, which no question wording would mean."""
    return [c for c in db.num_cols(t) if not c.null_frac]


def _base(rng: random.Random, t: Table) -> dict[str, str]:
    return {"singular": t.singular, "plural": t.plural, "label": _p(rng, t.label_col)}


# -- easy ---------------------------------------------------------------------------
@template("easy",
          "List the {label} of every {singular}.",
          "What is the {label} of each {singular}?",
          "Show the {label} of all {plural}.",
          "I need every {singular}'s {label}.")
def list_labels(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db, 60))
    if t is None:
        return None
    return Draft(_base(rng, t), f"SELECT {t.label} FROM {t.name}")


@template("easy",
          "Show all information about every {singular}.",
          "List all the {plural} with all their details.",
          "Show everything recorded about the {plural}.",
          "Every {singular}, all columns.")
def show_all(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: db.n_rows(t) <= 60))
    if t is None:
        return None
    return Draft({"singular": t.singular, "plural": t.plural}, f"SELECT * FROM {t.name}")


@template("easy",
          "How many {plural} are there?",
          "Count the {plural}.",
          "What is the total number of {plural}?",
          "Number of {plural} on record?")
def count_rows(rng: random.Random, db: DbContext) -> Draft | None:
    t = rng.choice(db.tables())
    return Draft({"singular": t.singular, "plural": t.plural}, f"SELECT count(*) FROM {t.name}")


@template("easy",
          "List the {label} of {plural} whose {cat} is {value}.",
          "Which {plural} have {value} as their {cat}? Give their {label}.",
          "Show the {label} of all {plural} with {cat} {value}.",
          "Find every {singular} whose {cat} equals {value} and return its {label}.")
def filter_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.cat_cols(t)])
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    return Draft({**_base(rng, t), "cat": _p(rng, cat), "value": value},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} = {sql_literal(value)}")


@template("easy",
          "Which {plural} have {a_num} {op} {value}? List their {label}.",
          "List the {label} of {plural} with {num} {op} {value}.",
          "Show the {label} of every {singular} whose {num} is {op} {value}.",
          "Return the {label} for {plural} where {num} is {op} {value}.")
def filter_number(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.num_cols(t)])
    if t is None:
        return None
    num = rng.choice(db.num_cols(t))
    value = threshold(rng, db.values(t, num), num)
    greater = rng.random() < 0.5
    phrase = _p(rng, num)
    return Draft({**_base(rng, t), "num": phrase, "a_num": _a(phrase), "op": rng.choice(_GT if greater else _LT),
                  "value": fmt_value(value)},
                 f"SELECT {t.label} FROM {t.name} WHERE {num.name} {'>' if greater else '<'} {sql_literal(value)}")


@template("easy",
          "How many {plural} have {cat} {value}?",
          "Count the {plural} whose {cat} is {value}.",
          "What is the number of {plural} with {value} as their {cat}?",
          "Total {plural} where the {cat} is {value}?")
def count_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.cat_cols(t))))
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    return Draft({"plural": t.plural, "cat": _p(rng, cat), "value": value},
                 f"SELECT count(*) FROM {t.name} WHERE {cat.name} = {sql_literal(value)}")


@template("easy",
          "What is the {col} of the {singular} {name}?",
          "Find the {col} of the {singular} named {name}.",
          "What {col} does the {singular} called {name} have?",
          "{name}: what is this {singular}'s {col}?")
def lookup_attribute(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db))
    if t is None:
        return None
    cols = [c for c in t.columns if c.kind not in ("pk", "fk", "bool") and c.name != t.label]
    if not cols:
        return None
    col = rng.choice(cols)
    name = rng.choice(db.values(t, t.label_col))
    return Draft({**_base(rng, t), "col": _p(rng, col), "name": name},
                 f"SELECT {col.name} FROM {t.name} WHERE {t.label} = {sql_literal(name)}")


@template("easy",
          "List the distinct {cat} values of {plural}.",
          "What are the different {cat} values among the {plural}?",
          "Show each {cat} that appears among the {plural}, without duplicates.",
          "Unique {cat} values across all {plural}?")
def distinct_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.cat_cols(t))))
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    return Draft({"plural": t.plural, "cat": _p(rng, cat)}, f"SELECT DISTINCT {cat.name} FROM {t.name}")


# -- medium -------------------------------------------------------------------------
@template("medium",
          "Which {singular} has the {sup} {num}?",
          "What is the {label} of the {singular} with the {sup} {num}?",
          "Give the {label} of the {singular} whose {num} is the {sup}.",
          "The {singular} with the {sup} {num}: what is its {label}?")
def top_one(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if _not_null_nums(db, t)])
    if t is None:
        return None
    num = rng.choice(_not_null_nums(db, t))
    desc = rng.random() < 0.6
    order = "DESC" if desc else "ASC"
    return Draft({**_base(rng, t), "num": _p(rng, num), "sup": rng.choice(("highest", "largest") if desc else ("lowest", "smallest"))},
                 f"SELECT {t.label} FROM {t.name} ORDER BY {num.name} {order} LIMIT 1",
                 tie_sql=f"SELECT {num.name} FROM {t.name} ORDER BY {num.name} {order} LIMIT 2")


@template("medium",
          "List the {label} of the {k} {plural} with the {sup} {num}.",
          "What are the {k} {plural} with the {sup} {num}? Give their {label}, in order.",
          "Show the {label} of the {k} {plural} that have the {sup} {num}, ordered by {num}.",
          "{k} {plural} with the {sup} {num}, {label} only, in order.")
def top_k(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if _not_null_nums(db, t) and db.n_rows(t) >= 8])
    if t is None:
        return None
    num = rng.choice(_not_null_nums(db, t))
    k = rng.randint(2, 5)
    desc = rng.random() < 0.6
    order = "DESC" if desc else "ASC"
    return Draft({**_base(rng, t), "num": _p(rng, num), "k": k, "sup": rng.choice(("highest", "largest") if desc else ("lowest", "smallest"))},
                 f"SELECT {t.label} FROM {t.name} ORDER BY {num.name} {order} LIMIT {k}",
                 tie_sql=f"SELECT {num.name} FROM {t.name} ORDER BY {num.name} {order} LIMIT {k + 1}")


@template("medium",
          "List the {label} and {num} of all {plural}, sorted by {num} in {direction} order.",
          "Show every {singular}'s {label} and {num}, ordered by {num} ({direction}).",
          "Give the {label} and {num} of each {singular}, from {first} to {last} {num}.",
          "{plural} by {num}, {direction}: {label} and {num}.")
def sorted_list(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db, 35) if _not_null_nums(db, t)])
    if t is None:
        return None
    num = rng.choice(_not_null_nums(db, t))
    desc = rng.random() < 0.5
    return Draft({**_base(rng, t), "num": _p(rng, num), "direction": "descending" if desc else "ascending",
                  "first": "highest" if desc else "lowest", "last": "lowest" if desc else "highest"},
                 f"SELECT {t.label}, {num.name} FROM {t.name} ORDER BY {num.name} {'DESC' if desc else 'ASC'}",
                 tie_sql=f"SELECT {num.name} FROM {t.name}")


@template("easy",
          "What is the {agg} {num} of all {plural}?",
          "Find the {agg} {num} across all {plural}.",
          "What is the {agg} {num} among the {plural}?",
          "{agg} {num} over every {singular}?")
def aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.num_cols(t))))
    if t is None:
        return None
    num = rng.choice(db.num_cols(t))
    fn = rng.choice(list(_AGG))
    if fn == "sum" and num.kind == "year":
        fn = "avg"
    return Draft({"singular": t.singular, "plural": t.plural, "num": _p(rng, num), "agg": rng.choice(_AGG[fn])},
                 f"SELECT {fn}({num.name}) FROM {t.name}")


@template("medium",
          "What is the {agg} {num} of {plural} whose {cat} is {value}?",
          "Among {plural} with {cat} {value}, what is the {agg} {num}?",
          "Compute the {agg} {num} for {plural} that have {value} as their {cat}.",
          "{agg} {num}, counting only {plural} with {cat} = {value}?")
def aggregate_filtered(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.num_cols(t) and db.cat_cols(t))))
    if t is None:
        return None
    num, cat = rng.choice(db.num_cols(t)), rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    fn = rng.choice(["avg", "max", "min"] + ([] if num.kind == "year" else ["sum"]))
    return Draft({"plural": t.plural, "num": _p(rng, num), "agg": rng.choice(_AGG[fn]), "cat": _p(rng, cat), "value": value},
                 f"SELECT {fn}({num.name}) FROM {t.name} WHERE {cat.name} = {sql_literal(value)}")


@template("medium",
          "Which {plural} have {cat} {value} and {a_num} {op} {x}? Give their {label}.",
          "List the {label} of {plural} whose {cat} is {value} and whose {num} is {op} {x}.",
          "Show the {label} of {plural} with {cat} {value} and {num} {op} {x}.",
          "{label} of {plural}: {cat} must be {value}, {num} {op} {x}.")
def two_conditions(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.num_cols(t) and db.cat_cols(t)])
    if t is None:
        return None
    num, cat = rng.choice(db.num_cols(t)), rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    x = threshold(rng, db.values(t, num), num)
    greater = rng.random() < 0.5
    phrase = _p(rng, num)
    return Draft({**_base(rng, t), "num": phrase, "a_num": _a(phrase), "cat": _p(rng, cat), "value": value,
                  "op": rng.choice(_GT if greater else _LT), "x": fmt_value(x)},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} = {sql_literal(value)} "
                 f"AND {num.name} {'>' if greater else '<'} {sql_literal(x)}")


@template("medium",
          "Which {plural} have {a_date} {when} {day}? List their {label}.",
          "List the {label} of {plural} whose {date} is {when} {day}.",
          "Show the {label} of every {singular} with {a_date} {when} {day}.",
          "{label} of {plural} dated ({date}) {when} {day}?")
def date_filter(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.date_cols(t)])
    if t is None:
        return None
    col = rng.choice(db.date_cols(t))
    day = threshold(rng, db.values(t, col), col)
    after = rng.random() < 0.5
    phrase = _p(rng, col)
    return Draft({**_base(rng, t), "date": phrase, "a_date": _a(phrase), "when": "after" if after else "before", "day": day},
                 f"SELECT {t.label} FROM {t.name} WHERE {col.name} {'>' if after else '<'} {sql_literal(day)}")


@template("medium",
          "How many different {cat} values do the {plural} have?",
          "Count the distinct {cat} values among {plural}.",
          "How many distinct {cat} values are there across {plural}?",
          "Number of unique {cat} values for {plural}?")
def count_distinct(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.cat_cols(t))))
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    return Draft({"plural": t.plural, "cat": _p(rng, cat)}, f"SELECT count(DISTINCT {cat.name}) FROM {t.name}")

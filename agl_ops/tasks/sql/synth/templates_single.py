"""Single-table question templates: the easy tier (listing, counting, one filter, one
aggregate over a table: Spider's "easy") and the medium tier (ordering and limits,
filtered aggregates, combined conditions, dates before/after)."""

from __future__ import annotations

import random

from agl_ops.tasks.sql.synth.context import (
    DbContext, Draft, a_an, fmt_date, fmt_value, nouns, phrase, plural_phrase, sql_literal, table_words, template,
    threshold,
)
from agl_ops.tasks.sql.synth.spec import Column, Table

__all__: list[str] = []

GT = ("greater than", "more than", "above", "over", "higher than", "exceeding")
LT = ("less than", "below", "under", "lower than", "smaller than")
AGG = {"avg": ("average", "mean"), "max": ("maximum", "highest", "largest", "biggest"),
       "min": ("minimum", "lowest", "smallest"), "sum": ("total", "combined", "overall")}
_HIGH, _LOW = ("highest", "largest", "biggest", "greatest"), ("lowest", "smallest", "least")


def _pick(rng: random.Random, items: list) -> object | None:
    return rng.choice(items) if items else None


def _labelled(db: DbContext, max_rows: int = 1000) -> list[Table]:
    return db.tables(lambda t: t.has_text_label and db.n_rows(t) <= max_rows)


def not_null_nums(db: DbContext, t: Table) -> list[Column]:
    """Numeric columns without NULLs: ordering by a column with NULLs puts them first
    in ascending order, which no question wording would mean."""
    return [c for c in db.num_cols(t) if not c.null_frac]


def agg_fn(rng: random.Random, num: Column) -> str:
    return rng.choice(["avg", "max", "min"] + ([] if num.kind == "year" else ["sum"]))


# -- easy ---------------------------------------------------------------------------
@template("easy",
          "List the {labels} of all {plural}.",
          "What is the {label} of each {singular}?",
          "What are the {labels} of the {plural}?",
          "Show every {singular}'s {label}.",
          "Which {plural} are there? Give their {labels}.",
          "I need every {singular}'s {label}.",
          nps=("the {labels} of all {plural}", "the {label} of every {singular}", "all {singular} {labels}",
               "the {labels} of the {plural}", "each {singular}'s {label}"))
def list_labels(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db, 60))
    if t is None:
        return None
    return Draft(table_words(rng, t), f"SELECT {t.label} FROM {t.name}")


@template("easy",
          "Show all information about every {singular}.",
          "List all the {plural} with all their details.",
          "What do we have on record for each {singular}? Show all columns.",
          "Show everything recorded about the {plural}.",
          "Every {singular}, all columns.",
          nps=("all the details of every {singular}", "all columns for all {plural}", "everything about the {plural}",
               "the full {singular} records", "every {singular} with all its fields"))
def show_all(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: db.n_rows(t) <= 60))
    if t is None:
        return None
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many}, f"SELECT * FROM {t.name}")


@template("easy",
          "How many {plural} are there?",
          "How many {plural} do we have?",
          "How many {plural} are there in total?",
          "Count the {plural}.",
          "How many {plural} are in the database?",
          "What is the total number of {plural}?",
          "Count all {plural}, please.",
          "Number of {plural} on record?",
          nps=("the number of {plural}", "the total number of {plural}", "the count of {plural}",
               "how many {plural} there are", "the overall {singular} count"), frames="number")
def count_rows(rng: random.Random, db: DbContext) -> Draft | None:
    t = rng.choice(db.tables())
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many}, f"SELECT count(*) FROM {t.name}")


@template("easy",
          "List the {labels} of {plural} whose {cat} is {value}.",
          "Which {plural} have {value} as their {cat}? Give their {labels}.",
          "Show the {labels} of all {plural} with {cat} {value}.",
          "Which {plural} have the {cat} {value}?",
          "What are the {labels} of the {plural} whose {cat} is {value}?",
          "Find every {singular} whose {cat} equals {value} and return its {label}.",
          nps=("the {labels} of {plural} whose {cat} is {value}", "the {plural} with {cat} {value}",
               "all {plural} where the {cat} is {value}", "the {labels} of every {singular} with {value} as its {cat}",
               "{plural} that have {cat} {value}, just their {labels}"))
def filter_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.cat_cols(t)])
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    return Draft({**table_words(rng, t), "cat": phrase(rng, cat), "value": value},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} = {sql_literal(value)}")


@template("easy",
          "List the {labels} of {plural} whose {cat} is not {value}.",
          "Which {plural} have a {cat} other than {value}? Give their {labels}.",
          "Show the {labels} of all {plural} except those with {cat} {value}.",
          "What are the {labels} of {plural} with a {cat} that isn't {value}?",
          "Which {plural} do not have {value} as their {cat}?",
          nps=("the {labels} of {plural} whose {cat} is not {value}", "the {plural} with any {cat} but {value}",
               "every {singular} whose {cat} isn't {value}, by {label}",
               "all {plural} excluding the ones with {cat} {value}"))
def filter_not_equal(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db, 80) if db.cat_cols(t)])
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    return Draft({**table_words(rng, t), "cat": phrase(rng, cat), "value": value},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} != {sql_literal(value)}")


@template("easy",
          "Which {plural} have {a_num} {op} {value}? List their {labels}.",
          "List the {labels} of {plural} with {num} {op} {value}.",
          "Which {plural} have a {num} {op} {value}?",
          "What are the {labels} of {plural} whose {num} is {op} {value}?",
          "Show the {labels} of every {singular} whose {num} is {op} {value}.",
          "Return the {labels} for {plural} where {num} is {op} {value}.",
          nps=("the {labels} of {plural} with {num} {op} {value}", "the {plural} whose {num} is {op} {value}",
               "every {singular} with {a_num} {op} {value}", "all {plural} where {num} is {op} {value}",
               "{plural} having {a_num} {op} {value}, by {label}"))
def filter_number(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.num_cols(t)])
    if t is None:
        return None
    num = rng.choice(db.num_cols(t))
    value = threshold(rng, db.values(t, num), num)
    greater = rng.random() < 0.5
    p = phrase(rng, num)
    return Draft({**table_words(rng, t), "num": p, "a_num": a_an(p), "op": rng.choice(GT if greater else LT),
                  "value": fmt_value(value)},
                 f"SELECT {t.label} FROM {t.name} WHERE {num.name} {'>' if greater else '<'} {sql_literal(value)}")


@template("easy",
          "How many {plural} have {cat} {value}?",
          "Count the {plural} whose {cat} is {value}.",
          "How many {plural} with {cat} {value} are there?",
          "How many {plural} have {value} as their {cat} in total?",
          "What is the number of {plural} with {value} as their {cat}?",
          "Total {plural} where the {cat} is {value}?",
          nps=("the number of {plural} whose {cat} is {value}", "the count of {plural} with {cat} {value}",
               "how many {plural} have {cat} {value}", "the number of {plural} that have {value} as {cat}"),
          frames="number")
def count_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.cat_cols(t))))
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": phrase(rng, cat), "value": value},
                 f"SELECT count(*) FROM {t.name} WHERE {cat.name} = {sql_literal(value)}")


@template("easy",
          "What is the {col} of the {singular} {name}?",
          "Find the {col} of the {singular} named {name}.",
          "What {col} does the {singular} called {name} have?",
          "What's the {col} for {name}?",
          "Which {col} does {name} have?",
          "{name}: what is this {singular}'s {col}?",
          nps=("the {col} of the {singular} {name}", "the {col} of {name}", "{name}'s {col}",
               "the {col} recorded for the {singular} {name}", "the {col} for the {singular} called {name}"),
          frames="value")
def lookup_attribute(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db))
    if t is None:
        return None
    cols = [c for c in t.columns if c.kind not in ("pk", "fk", "bool") and c.name != t.label]
    if not cols:
        return None
    col = rng.choice(cols)
    name = rng.choice(db.values(t, t.label_col))
    return Draft({**table_words(rng, t), "col": phrase(rng, col), "name": name},
                 f"SELECT {col.name} FROM {t.name} WHERE {t.label} = {sql_literal(name)}")


@template("easy",
          "List the distinct {cat} values of {plural}.",
          "What are the different {cats} of the {plural}?",
          "Which {cats} do the {plural} have? No duplicates.",
          "Show each {cat} that appears among the {plural}, without duplicates.",
          "Unique {cat} values across all {plural}?",
          nps=("the distinct {cats} of the {plural}", "every different {cat} among the {plural}",
               "the unique {cats} found in {plural}", "each {cat} the {plural} have, once",
               "all {singular} {cats} without repeats"))
def distinct_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.cat_cols(t))))
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    p = phrase(rng, cat)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": p, "cats": plural_phrase(p)},
                 f"SELECT DISTINCT {cat.name} FROM {t.name}")


@template("easy",
          "What is the {agg} {num} of all {plural}?",
          "Find the {agg} {num} across all {plural}.",
          "What is the {agg} {num} among the {plural}?",
          "What's the {agg} {num} of the {plural} overall?",
          "Across all {plural}, what is the {agg} {num}?",
          "{agg} {num} over every {singular}?",
          nps=("the {agg} {num} of all {plural}", "the {agg} {num} across the {plural}",
               "the {agg} {num} over all {plural}", "the {agg} {num} over every {singular}", "the {agg} {singular} {num}"),
          frames="number")
def aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.num_cols(t))))
    if t is None:
        return None
    num = rng.choice(db.num_cols(t))
    fn = agg_fn(rng, num)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "num": phrase(rng, num), "agg": rng.choice(AGG[fn])},
                 f"SELECT {fn}({num.name}) FROM {t.name}")


# -- medium -------------------------------------------------------------------------
@template("medium",
          "Which {singular} has the {sup} {num}?",
          "What is the {label} of the {singular} with the {sup} {num}?",
          "Give the {label} of the {singular} whose {num} is the {sup}.",
          "Which {singular} has the {sup} {num}? Just the {label}.",
          "Tell me which {singular} has the {sup} {num}.",
          "The {singular} with the {sup} {num}: what is its {label}?",
          nps=("the {label} of the {singular} with the {sup} {num}", "the {singular} that has the {sup} {num}",
               "the {singular} whose {num} is the {sup}", "the {singular} ranked {sup} by {num}",
               "the {label} of whichever {singular} has the {sup} {num}"), frames="value")
def top_one(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if not_null_nums(db, t)])
    if t is None:
        return None
    num = rng.choice(not_null_nums(db, t))
    desc = rng.random() < 0.6
    order = "DESC" if desc else "ASC"
    return Draft({**table_words(rng, t), "num": phrase(rng, num), "sup": rng.choice(_HIGH if desc else _LOW)},
                 f"SELECT {t.label} FROM {t.name} ORDER BY {num.name} {order} LIMIT 1",
                 tie_sql=f"SELECT {num.name} FROM {t.name} ORDER BY {num.name} {order} LIMIT 2")


@template("medium",
          "List the {labels} of the {k} {plural} with the {sup} {num}.",
          "What are the {k} {plural} with the {sup} {num}? Give their {labels}, in order.",
          "Which {k} {plural} have the {sup} {num}?",
          "Show the top {k} {plural} by {num} ({sup} first).",
          "Show the {labels} of the {k} {plural} that have the {sup} {num}, ordered by {num}.",
          "{k} {plural} with the {sup} {num}, {label} only, in order.",
          nps=("the {k} {plural} with the {sup} {num}", "the {labels} of the {k} {plural} with the {sup} {num}",
               "the top {k} {plural} by {num}, {sup} first", "the {k} {plural} ranked {sup} by {num}",
               "the {k} {plural} whose {num} is the {sup}, in order"))
def top_k(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if not_null_nums(db, t) and db.n_rows(t) >= 8])
    if t is None:
        return None
    num = rng.choice(not_null_nums(db, t))
    k = rng.randint(2, 5)
    desc = rng.random() < 0.6
    order = "DESC" if desc else "ASC"
    return Draft({**table_words(rng, t), "num": phrase(rng, num), "k": k, "sup": rng.choice(_HIGH if desc else _LOW)},
                 f"SELECT {t.label} FROM {t.name} ORDER BY {num.name} {order} LIMIT {k}",
                 tie_sql=f"SELECT {num.name} FROM {t.name} ORDER BY {num.name} {order} LIMIT {k + 1}")


@template("medium",
          "List the {label} and {num} of all {plural}, sorted by {num} in {direction} order.",
          "Show every {singular}'s {label} and {num}, ordered by {num} ({direction}).",
          "Give the {label} and {num} of each {singular}, from {first} to {last} {num}.",
          "Sort the {plural} by {num}, {first} first, and show their {label} and {num}.",
          "{plural} by {num}, {direction}: {label} and {num}.",
          nps=("the {label} and {num} of all {plural}, sorted by {num} in {direction} order",
               "every {singular}'s {label} and {num}, {first} {num} first",
               "the {plural} ranked by {num} ({direction}), with {label} and {num}",
               "each {singular} with its {num}, ordered from {first} to {last}"))
def sorted_list(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db, 35) if not_null_nums(db, t)])
    if t is None:
        return None
    num = rng.choice(not_null_nums(db, t))
    desc = rng.random() < 0.5
    return Draft({**table_words(rng, t), "num": phrase(rng, num), "direction": "descending" if desc else "ascending",
                  "first": "highest" if desc else "lowest", "last": "lowest" if desc else "highest"},
                 f"SELECT {t.label}, {num.name} FROM {t.name} ORDER BY {num.name} {'DESC' if desc else 'ASC'}",
                 tie_sql=f"SELECT {num.name} FROM {t.name}")


@template("medium",
          "What is the {agg} {num} of {plural} whose {cat} is {value}?",
          "Among {plural} with {cat} {value}, what is the {agg} {num}?",
          "For {plural} with {cat} {value}, what's the {agg} {num}?",
          "Compute the {agg} {num} for {plural} that have {value} as their {cat}.",
          "{agg} {num}, counting only {plural} with {cat} = {value}?",
          nps=("the {agg} {num} of {plural} whose {cat} is {value}", "the {agg} {num} among {plural} having {cat} {value}",
               "the {agg} {num} for {plural} with {cat} {value}", "the {agg} {num} of the {plural} where {cat} is {value}",
               "the {agg} {num}, only for {plural} with {cat} {value}"), frames="number")
def aggregate_filtered(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.num_cols(t) and db.cat_cols(t))))
    if t is None:
        return None
    num, cat = rng.choice(db.num_cols(t)), rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    fn = agg_fn(rng, num)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "num": phrase(rng, num), "agg": rng.choice(AGG[fn]),
                  "cat": phrase(rng, cat), "value": value},
                 f"SELECT {fn}({num.name}) FROM {t.name} WHERE {cat.name} = {sql_literal(value)}")


@template("medium",
          "Which {plural} have {cat} {value} and {a_num} {op} {x}? Give their {labels}.",
          "List the {labels} of {plural} whose {cat} is {value} and whose {num} is {op} {x}.",
          "Among {plural} with {cat} {value}, which have a {num} {op} {x}?",
          "Show the {labels} of {plural} with {cat} {value} and {num} {op} {x}.",
          "{labels} of {plural}: {cat} must be {value}, {num} {op} {x}.",
          nps=("the {labels} of {plural} with {cat} {value} and {num} {op} {x}",
               "the {plural} whose {cat} is {value} and whose {num} is {op} {x}",
               "every {singular} with {cat} {value} and {a_num} {op} {x}",
               "{plural} where {cat} is {value} and {num} is {op} {x}",
               "those {plural} with {cat} {value} that have {a_num} {op} {x}"))
def two_conditions(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.num_cols(t) and db.cat_cols(t)])
    if t is None:
        return None
    num, cat = rng.choice(db.num_cols(t)), rng.choice(db.cat_cols(t))
    value = rng.choice(db.values(t, cat))
    x = threshold(rng, db.values(t, num), num)
    greater = rng.random() < 0.5
    p = phrase(rng, num)
    return Draft({**table_words(rng, t), "num": p, "a_num": a_an(p), "cat": phrase(rng, cat), "value": value,
                  "op": rng.choice(GT if greater else LT), "x": fmt_value(x)},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} = {sql_literal(value)} "
                 f"AND {num.name} {'>' if greater else '<'} {sql_literal(x)}")


@template("medium",
          "Which {plural} have {cat} {v1} or {v2}? List their {labels}.",
          "List the {labels} of {plural} whose {cat} is either {v1} or {v2}.",
          "Which {plural} have a {cat} of {v1} or {v2}?",
          "Show the {plural} with {cat} {v1} or {v2}.",
          "{plural} where {cat} is {v1} or {v2}: {labels}?",
          nps=("the {labels} of {plural} whose {cat} is {v1} or {v2}", "the {plural} with {cat} {v1} or {v2}",
               "every {singular} whose {cat} is one of {v1} and {v2}", "all {plural} of {cat} {v1} or {v2}",
               "{plural} that have either {v1} or {v2} as their {cat}"))
def filter_in_list(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.cat_cols(t)])
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    values = sorted(set(db.values(t, cat)))
    if len(values) < 3:
        return None
    v1, v2 = rng.sample(values, 2)
    return Draft({**table_words(rng, t), "cat": phrase(rng, cat), "v1": v1, "v2": v2},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} IN ({sql_literal(v1)}, {sql_literal(v2)})")


@template("medium",
          "Which {plural} have {a_num} between {lo} and {hi}? List their {labels}.",
          "List the {labels} of {plural} whose {num} is between {lo} and {hi}.",
          "Which {plural} have a {num} from {lo} to {hi}?",
          "Show the {plural} with {num} in the range {lo} to {hi} (inclusive).",
          "{labels} of {plural} with {num} between {lo} and {hi}?",
          nps=("the {labels} of {plural} with {num} between {lo} and {hi}",
               "the {plural} whose {num} is between {lo} and {hi}", "every {singular} with {a_num} from {lo} to {hi}",
               "{plural} with {num} no lower than {lo} and no higher than {hi}",
               "all {plural} having {a_num} in the {lo}-{hi} range"))
def filter_between(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.num_cols(t)])
    if t is None:
        return None
    num = rng.choice(db.num_cols(t))
    vals = db.values(t, num)
    a, b = sorted((threshold(rng, vals, num), threshold(rng, vals, num)))
    if a == b:
        return None
    p = phrase(rng, num)
    return Draft({**table_words(rng, t), "num": p, "a_num": a_an(p), "lo": fmt_value(a), "hi": fmt_value(b)},
                 f"SELECT {t.label} FROM {t.name} WHERE {num.name} BETWEEN {sql_literal(a)} AND {sql_literal(b)}")


@template("medium",
          "Which {plural} have {a_date} {when} {day}? List their {labels}.",
          "List the {labels} of {plural} whose {date} is {when} {day}.",
          "Which {plural} have a {date} {when} {day}?",
          "Show the {labels} of every {singular} with {a_date} {when} {day}.",
          "{labels} of {plural} dated ({date}) {when} {day}?",
          nps=("the {labels} of {plural} whose {date} is {when} {day}", "the {plural} with {a_date} {when} {day}",
               "every {singular} whose {date} falls {when} {day}", "all {plural} with {date} {when} {day}",
               "{plural} having {a_date} {when} {day}, by {label}"))
def date_filter(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _labelled(db) if db.date_cols(t, frozenset({"date"}))])
    if t is None:
        return None
    col = rng.choice(db.date_cols(t, frozenset({"date"})))
    day = threshold(rng, db.values(t, col), col)
    after = rng.random() < 0.5
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "date": p, "a_date": a_an(p), "when": "after" if after else "before",
                  "day": fmt_date(rng, day)},
                 f"SELECT {t.label} FROM {t.name} WHERE {col.name} {'>' if after else '<'} {sql_literal(day)}")


@template("medium",
          "How many different {cat} values do the {plural} have?",
          "Count the distinct {cats} among {plural}.",
          "How many distinct {cats} are there across {plural}?",
          "How many different {cats} do we have among the {plural}?",
          "Number of unique {cat} values for {plural}?",
          nps=("the number of distinct {cats} among the {plural}", "how many different {cats} the {plural} have",
               "the count of unique {cats} over all {plural}", "the number of different {singular} {cats}"),
          frames="number")
def count_distinct(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.cat_cols(t))))
    if t is None:
        return None
    cat = rng.choice(db.cat_cols(t))
    p = phrase(rng, cat)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": p, "cats": plural_phrase(p)},
                 f"SELECT count(DISTINCT {cat.name}) FROM {t.name}")

"""Templates that compute: arithmetic over columns (``price * quantity``, ``a - b``),
``CASE WHEN`` (shares, conditional counts, labels), ``COUNT(DISTINCT ...)`` over
references, ordering through a join, correlated subqueries and ``NOT EXISTS``."""

from __future__ import annotations

import random

from agl_ops.tasks.sql.synth.context import (
    DbContext, Draft, a_an, fmt_value, nouns, phrase, plural_phrase, sql_literal, table_words, template, threshold,
)
from agl_ops.tasks.sql.synth.spec import Column, Derived, Table
from agl_ops.tasks.sql.synth.templates_multi import join_sql, link, link_words
from agl_ops.tasks.sql.synth.templates_single import AGG, GT, LT, not_null_nums
from agl_ops.tasks.sql.synth.templates_values import event, flag

__all__: list[str] = []

_HIGH, _LOW = ("highest", "largest", "biggest"), ("lowest", "smallest")


def _pick(rng: random.Random, items: list) -> object | None:
    return rng.choice(items) if items else None


def _derived(db: DbContext, labelled: bool = False) -> list[tuple[Table, Derived]]:
    return [(t, d) for t in db.tables(lambda t: t.has_text_label or not labelled) for d in t.derived
            if not t.col(d.left).null_frac and (not d.right_is_column or not t.col(d.right).null_frac)]


def _derived_values(db: DbContext, t: Table, d: Derived) -> list[float]:
    return [v for (v,) in db.run(f"SELECT {d.sql()} FROM {t.name}") if v is not None]


# -- arithmetic ---------------------------------------------------------------------------
@template("medium",
          "List the {label} and {expr} of every {singular}.",
          "Show each {singular}'s {label} together with its {expr}.",
          "What is the {expr} of each {singular}? Show the {label} too.",
          "For every {singular}, give the {label} and the {expr}.",
          "{label} plus {expr}, per {singular}?",
          nps=("the {label} and {expr} of every {singular}", "each {singular} with its {expr}",
               "the {expr} of all {plural}, with their {labels}", "every {singular}'s {expr} next to its {label}",
               "the {labels} of the {plural} and the {expr} of each"))
def derived_list(rng: random.Random, db: DbContext) -> Draft | None:
    pair = _pick(rng, [(t, d) for t, d in _derived(db, labelled=True) if db.n_rows(t) <= 60])
    if pair is None:
        return None
    t, d = pair
    return Draft({**table_words(rng, t), "expr": rng.choice(d.words)}, f"SELECT {t.label}, {d.sql()} FROM {t.name}")


@template("medium",
          "Which {plural} have {a_expr} {op} {x}?",
          "List the {labels} of {plural} whose {expr} is {op} {x}.",
          "Show all {plural} with {a_expr} {op} {x}.",
          "Which {plural} come to {a_expr} {op} {x}? Give their {labels}.",
          "{plural} with {expr} {op} {x}: {labels}?",
          nps=("the {plural} whose {expr} is {op} {x}", "the {labels} of {plural} with {a_expr} {op} {x}",
               "every {singular} with {a_expr} {op} {x}", "all {plural} where the {expr} is {op} {x}",
               "{plural} whose {expr} comes out {op} {x}"))
def derived_filter(rng: random.Random, db: DbContext) -> Draft | None:
    pair = _pick(rng, _derived(db, labelled=True))
    if pair is None:
        return None
    t, d = pair
    x = threshold(rng, _derived_values(db, t, d), Column("x", d.kind))
    greater = rng.random() < 0.5
    expr = rng.choice(d.words)
    return Draft({**table_words(rng, t), "expr": expr, "a_expr": a_an(expr), "op": rng.choice(GT if greater else LT),
                  "x": fmt_value(x)},
                 f"SELECT {t.label} FROM {t.name} WHERE {d.sql()} {'>' if greater else '<'} {sql_literal(x)}")


@template("medium",
          "What is the {agg} {expr} of all {plural}?",
          "Across all {plural}, what is the {agg} {expr}?",
          "What's the {agg} {expr} over the {plural}?",
          "Compute the {agg} {expr} for the {plural}.",
          "{agg} {expr} over every {singular}?",
          nps=("the {agg} {expr} of all {plural}", "the {agg} {expr} across the {plural}",
               "the {agg} {expr} over every {singular}", "the {agg} {expr} for all {plural}", "the {agg} {singular} {expr}"),
          frames="number")
def derived_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    pair = _pick(rng, _derived(db))
    if pair is None:
        return None
    t, d = pair
    fn = rng.choice(["avg", "max", "min"] + ([] if d.op == "/" else ["sum"]))
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "expr": rng.choice(d.words), "agg": rng.choice(AGG[fn])},
                 f"SELECT {fn}({d.sql()}) FROM {t.name}")


@template("medium",
          "Which {singular} has the {sup} {expr}?",
          "What is the {label} of the {singular} with the {sup} {expr}?",
          "Find the {singular} whose {expr} is the {sup}.",
          "Which {singular} comes out {sup} on {expr}?",
          "The {singular} with the {sup} {expr}: its {label}?",
          nps=("the {singular} with the {sup} {expr}", "the {label} of the {singular} whose {expr} is the {sup}",
               "the {singular} that has the {sup} {expr}", "the {singular} ranked {sup} by {expr}",
               "whichever {singular} has the {sup} {expr}"), frames="value")
def derived_top(rng: random.Random, db: DbContext) -> Draft | None:
    pair = _pick(rng, _derived(db, labelled=True))
    if pair is None:
        return None
    t, d = pair
    desc = rng.random() < 0.6
    order = "DESC" if desc else "ASC"
    return Draft({**table_words(rng, t), "expr": rng.choice(d.words), "sup": rng.choice(_HIGH if desc else _LOW)},
                 f"SELECT {t.label} FROM {t.name} ORDER BY {d.sql()} {order} LIMIT 1",
                 tie_sql=f"SELECT {d.sql()} FROM {t.name} ORDER BY {d.sql()} {order} LIMIT 2")


def _comparison(rng: random.Random, db: DbContext, labelled: bool) -> tuple[Table, str, dict[str, str]] | None:
    """Two columns of one table in one unit (the two sides of a declared ``a - b`` or
    ``a + b``), compared: a condition some rows pass and some do not."""
    pairs = [(t, d) for t, d in _derived(db, labelled) if d.op in "+-" and d.right_is_column]
    pair = _pick(rng, pairs)
    if pair is None:
        return None
    t, d = pair
    greater = rng.random() < 0.6
    cond = f"{d.left} {'>' if greater else '<'} {d.right}"
    (n,) = db.run(f"SELECT count(*) FROM {t.name} WHERE {cond}")[0]
    if not 0 < n < db.n_rows(t):
        return None  # a comparison every row passes (or none) says nothing
    left = phrase(rng, t.col(d.left))
    one, many = nouns(rng, t)
    words = {"singular": one, "plural": many, "left": left, "a_left": a_an(left), "right": phrase(rng, t.col(d.right)),
             "op": rng.choice(GT if greater else LT)}
    return t, cond, words


@template("medium",
          "Which {plural} have {a_left} {op} their {right}?",
          "List the {labels} of {plural} whose {left} is {op} the {right}.",
          "Show the {plural} where the {left} is {op} the {right}.",
          "Which {plural} have a {left} that is {op} the {right}?",
          "Find the {plural} with a {left} {op} their {right}.",
          "{plural} with {left} {op} {right}?",
          nps=("the {plural} whose {left} is {op} their {right}", "the {labels} of {plural} with {a_left} {op} the {right}",
               "every {singular} where the {left} is {op} the {right}", "all {plural} with {left} {op} {right}",
               "{plural} whose {left} ends up {op} the {right}"))
def compare_columns(rng: random.Random, db: DbContext) -> Draft | None:
    found = _comparison(rng, db, labelled=True)
    if found is None:
        return None
    t, cond, words = found
    label = phrase(rng, t.label_col)
    return Draft({**words, "label": label, "labels": plural_phrase(label)}, f"SELECT {t.label} FROM {t.name} WHERE {cond}")


@template("medium",
          "How many {plural} have {a_left} {op} their {right}?",
          "Count the {plural} whose {left} is {op} the {right}.",
          "In how many {plural} is the {left} {op} the {right}?",
          "How many {plural} are there where the {left} is {op} the {right}?",
          "What is the number of {plural} with {a_left} {op} the {right}?",
          "Number of {plural} with {left} {op} {right}?",
          nps=("the number of {plural} whose {left} is {op} their {right}",
               "how many {plural} have {a_left} {op} the {right}", "the count of {plural} where {left} is {op} {right}",
               "the number of {plural} with {left} {op} {right}",
               "the tally of {plural} whose {left} comes out {op} the {right}"), frames="number")
def compare_columns_count(rng: random.Random, db: DbContext) -> Draft | None:
    found = _comparison(rng, db, labelled=False)
    if found is None:
        return None
    t, cond, words = found
    return Draft(words, f"SELECT count(*) FROM {t.name} WHERE {cond}")


# -- CASE WHEN ----------------------------------------------------------------------------
def _case_count(col: Column, value: int) -> str:
    return f"sum(CASE WHEN {col.name} = {value} THEN 1 ELSE 0 END)"


@template("medium",
          "How many {plural} {pos} and how many {neg}?",
          "Count the {plural} that {pos} and those that {neg}.",
          "Give two numbers: {plural} that {pos}, and {plural} that {neg}.",
          "How many of the {plural} {pos}, and how many {neg}?",
          "{plural}: how many {pos} versus how many {neg}?",
          nps=("the number of {plural} that {pos} and the number that {neg}",
               "how many {plural} {pos} and how many {neg}", "a count of {plural} that {pos} next to those that {neg}",
               "the split of {plural} between those that {pos} and those that {neg}",
               "the counts of {plural} that {pos} and that {neg}"), frames="number")
def case_two_counts(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.bool_cols(t))))
    if t is None:
        return None
    col = rng.choice(db.bool_cols(t))
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "pos": rng.choice(col.words), "neg": rng.choice(col.neg)},
                 f"SELECT {_case_count(col, 1)}, {_case_count(col, 0)} FROM {t.name}")


@template("hard",
          "What percentage of {plural} {pred}?",
          "What share of the {plural} {pred}, in percent?",
          "What percent of all {plural} {pred}?",
          "Of all {plural}, what percentage {pred}?",
          "Percentage of {plural} that {pred}?",
          nps=("the percentage of {plural} that {pred}", "the share of {plural} which {pred}, as a percentage",
               "what percent of the {plural} {pred}", "the proportion of {plural} that {pred}, in percent",
               "the percent of {plural} that {pred}"), frames="number")
def case_share(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.bool_cols(t))))
    if t is None:
        return None
    col = rng.choice(db.bool_cols(t))
    pred, value = flag(rng, col)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "pred": pred},
                 f"SELECT 100.0 * {_case_count(col, value)} / count(*) FROM {t.name}")


@template("hard",
          "For each {cat}, how many {plural} {pred}?",
          "How many {plural} {pred} in each {cat}?",
          "Per {cat}, count the {plural} that {pred}.",
          "Show every {cat} with the number of its {plural} that {pred}.",
          "{plural} that {pred}, counted per {cat} (zero included)?",
          nps=("the number of {plural} that {pred} for each {cat}", "each {cat} with how many of its {plural} {pred}",
               "a per-{cat} count of {plural} that {pred}", "for every {cat}, the count of {plural} which {pred}",
               "the {plural} that {pred}, counted by {cat}"))
def case_group_bool(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.bool_cols(t) and db.cat_cols(t))))
    if t is None:
        return None
    col, cat = rng.choice(db.bool_cols(t)), rng.choice(db.cat_cols(t))
    pred, value = flag(rng, col)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "pred": pred, "cat": phrase(rng, cat)},
                 f"SELECT {cat.name}, {_case_count(col, value)} FROM {t.name} GROUP BY {cat.name}")


_BUCKETS = (("high", "low"), ("above", "below"), ("yes", "no"), ("large", "small"))


@template("hard",
          "For each {singular}, show its {label} and '{hi}' if its {num} is over {x}, otherwise '{lo}'.",
          "List every {singular}'s {label} with a label: '{hi}' when the {num} exceeds {x}, else '{lo}'.",
          "Show the {labels} of the {plural}, each marked '{hi}' if {num} > {x} and '{lo}' if not.",
          "Classify the {plural} by {num}: '{hi}' above {x}, '{lo}' otherwise. Show the {label} and the class.",
          "{label} and '{hi}'/'{lo}' by whether {num} is over {x}, for all {plural}?",
          nps=("each {singular}'s {label} and '{hi}' or '{lo}' depending on whether its {num} is over {x}",
               "the {labels} of the {plural} flagged '{hi}' when {num} exceeds {x} and '{lo}' otherwise",
               "every {singular} labelled '{hi}' if its {num} is above {x}, else '{lo}'",
               "the {plural} with a '{hi}'/'{lo}' tag for {num} over {x}",
               "all {plural} tagged '{hi}' when the {num} is more than {x} and '{lo}' otherwise"))
def case_bucket(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in db.tables(lambda t: t.has_text_label and db.n_rows(t) <= 60) if not_null_nums(db, t)])
    if t is None:
        return None
    num = rng.choice(not_null_nums(db, t))
    x = threshold(rng, db.values(t, num), num)
    hi, lo = rng.choice(_BUCKETS)
    return Draft({**table_words(rng, t), "num": phrase(rng, num), "x": fmt_value(x), "hi": hi, "lo": lo},
                 f"SELECT {t.label}, CASE WHEN {num.name} > {sql_literal(x)} THEN '{hi}' ELSE '{lo}' END FROM {t.name}")


# -- distinct references, joins -------------------------------------------------------
@template("medium",
          "How many different {parents} have {children}?",
          "How many distinct {parents} appear among the {children}?",
          "How many {parents} have at least one {child}?",
          "Count the {parents} that have any {children}.",
          "Number of distinct {parents} with {children}?",
          nps=("the number of different {parents} that have {children}", "how many {parents} have at least one {child}",
               "the count of distinct {parents} among the {children}", "the number of {parents} with any {children}",
               "how many separate {parents} the {children} belong to"), frames="number")
def count_distinct_parents(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True)
    if ln is None:
        return None
    return Draft(link_words(rng, ln), f"SELECT count(DISTINCT {ln.fk.name}) FROM {ln.child.name}")


@template("medium",
          "How many different {parents} have {children} with {ccat} {value}?",
          "How many distinct {parents} have at least one {child} whose {ccat} is {value}?",
          "Count the {parents} with some {child} of {ccat} {value}.",
          "Across {children} with {ccat} {value}, how many different {parents} are there?",
          "Distinct {parents} having {ccat} {value} {children}: how many?",
          nps=("the number of different {parents} with {children} whose {ccat} is {value}",
               "how many {parents} have a {child} with {ccat} {value}",
               "the count of distinct {parents} among {children} with {ccat} {value}",
               "the number of {parents} having any {child} of {ccat} {value}",
               "how many separate {parents} the {ccat} {value} {children} belong to"), frames="number")
def count_distinct_parents_filtered(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True, child_cat=True)
    if ln is None:
        return None
    cat = rng.choice(db.cat_cols(ln.child))
    value = rng.choice(db.values(ln.child, cat))
    return Draft({**link_words(rng, ln), "ccat": phrase(rng, cat), "value": value},
                 f"SELECT count(DISTINCT {ln.fk.name}) FROM {ln.child.name} WHERE {cat.name} = {sql_literal(value)}")


@template("hard",
          "What is the {plabel} of the {rel} of the {child} with the {sup} {cnum}?",
          "Which {rel} does the {child} with the {sup} {cnum} belong to?",
          "The {child} with the {sup} {cnum}: what is its {rel}'s {plabel}?",
          "Find the {rel} of whichever {child} has the {sup} {cnum}.",
          "{rel} of the {child} with the {sup} {cnum}?",
          nps=("the {plabel} of the {rel} of the {child} with the {sup} {cnum}",
               "the {rel} of the {child} that has the {sup} {cnum}", "the {rel} behind the {child} with the {sup} {cnum}",
               "which {rel} the {child} with the {sup} {cnum} has", "the {rel} linked to the {sup} {cnum} {child}"),
          frames="value")
def join_top(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db)
    if ln is None or not not_null_nums(db, ln.child):
        return None
    num = rng.choice(not_null_nums(db, ln.child))
    desc = rng.random() < 0.6
    order = "DESC" if desc else "ASC"
    return Draft({**link_words(rng, ln), "cnum": phrase(rng, num), "sup": rng.choice(_HIGH if desc else _LOW)},
                 f"SELECT p.{ln.parent.label} FROM {join_sql(ln)} ORDER BY c.{num.name} {order} LIMIT 1",
                 tie_sql=f"SELECT c.{num.name} FROM {join_sql(ln)} ORDER BY c.{num.name} {order} LIMIT 2")


@template("hard",
          "List the {clabels} of {children} whose {rel} is one of the {parents} that {ppred}.",
          "Which {children} belong to {parents} that {ppred}?",
          "Show the {children} of {parents} which {ppred}.",
          "What are the {clabels} of the {children} tied to {parents} that {ppred}?",
          "{children} under {parents} that {ppred}: {clabels}?",
          nps=("the {children} of {parents} that {ppred}", "the {clabels} of {children} whose {rel} {ppred_one}",
               "every {child} linked to {parents} that {ppred}", "all {children} of the {parents} which {ppred}",
               "{children} belonging to {parents} that {ppred}"))
def join_bool(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, child_label=True)
    if ln is None or not db.bool_cols(ln.parent):
        return None
    col = rng.choice(db.bool_cols(ln.parent))
    pred, value = flag(rng, col)
    return Draft({**link_words(rng, ln), "ppred": pred, "ppred_one": f"is among those that {pred}"},
                 f"SELECT c.{ln.child.label} FROM {join_sql(ln)} WHERE p.{col.name} = {value}")


# -- extra: correlated subqueries, NOT EXISTS --------------------------------------------
@template("extra",
          "Which {parents} have no {children} with {ccat} {value}?",
          "List the {plabels} of {parents} that have no {child} whose {ccat} is {value}.",
          "Which {parents} never had a {child} with {ccat} {value}?",
          "Show every {parent} without any {children} of {ccat} {value}.",
          "{parents} lacking {children} with {ccat} = {value}?",
          nps=("the {parents} with no {children} whose {ccat} is {value}",
               "every {parent} that has no {child} with {ccat} {value}",
               "the {plabels} of {parents} without {children} of {ccat} {value}",
               "all {parents} that never had a {ccat} {value} {child}",
               "{parents} free of {children} with {ccat} {value}"))
def not_exists_child_value(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True, child_cat=True)
    if ln is None:
        return None
    cat = rng.choice(db.cat_cols(ln.child))
    value = rng.choice(db.values(ln.child, cat))
    p, c = ln.parent, ln.child
    return Draft({**link_words(rng, ln), "ccat": phrase(rng, cat), "value": value},
                 f"SELECT p.{p.label} FROM {p.name} AS p WHERE NOT EXISTS (SELECT 1 FROM {c.name} AS c "
                 f"WHERE c.{ln.fk.name} = p.{p.pk.name} AND c.{cat.name} = {sql_literal(value)})")


@template("extra",
          "Which {plural} have {a_num} above the average for their {cat}?",
          "List the {labels} of {plural} whose {num} is higher than the average {num} of {plural} with the same {cat}.",
          "Which {plural} beat the average {num} of their own {cat}?",
          "Show the {plural} with an above-average {num} within their {cat}.",
          "{plural} whose {num} exceeds their {cat}'s mean?",
          nps=("the {plural} whose {num} is above the average of their {cat}",
               "every {singular} with a higher {num} than the average for its {cat}",
               "the {labels} of {plural} that beat their {cat}'s average {num}",
               "all {plural} above their {cat} average in {num}",
               "{plural} with {a_num} over the mean of their {cat}"))
def above_group_average(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in db.tables(lambda t: t.has_text_label) if db.num_cols(t) and db.cat_cols(t)])
    if t is None:
        return None
    num, cat = rng.choice(db.num_cols(t)), rng.choice(db.cat_cols(t))
    p = phrase(rng, num)
    return Draft({**table_words(rng, t), "num": p, "a_num": a_an(p), "cat": phrase(rng, cat)},
                 f"SELECT a.{t.label} FROM {t.name} AS a WHERE a.{num.name} > "
                 f"(SELECT avg(b.{num.name}) FROM {t.name} AS b WHERE b.{cat.name} = a.{cat.name})")


@template("extra",
          "Which {parents} had no {children} that {event} in {year}?",
          "List the {plabels} of {parents} without any {child} whose {date} is in {year}.",
          "Which {parents} have no {children} with {a_date} in {year}?",
          "Show the {parents} that had zero {children} in {year}, going by {date}.",
          "{parents} with no {year} {children} ({date})?",
          nps=("the {parents} that had no {children} with {a_date} in {year}",
               "every {parent} without {children} that {event} in {year}",
               "the {plabels} of {parents} with no {child} dated {year}",
               "all {parents} lacking {children} with {a_date} in {year}",
               "{parents} that saw no {children} in {year}"), weight=0.7)
def parents_none_in_year(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True)
    if ln is None or not db.date_cols(ln.child):
        return None
    col = rng.choice(db.date_cols(ln.child))
    year = str(rng.choice(db.values(ln.child, col)))[:4]
    p, c = ln.parent, ln.child
    dp = phrase(rng, col)
    return Draft({**link_words(rng, ln), "event": event(rng, col), "year": year, "date": dp, "a_date": a_an(dp)},
                 f"SELECT {p.label} FROM {p.name} WHERE {p.pk.name} NOT IN (SELECT {ln.fk.name} FROM {c.name} "
                 f"WHERE strftime('%Y', {col.name}) = '{year}' AND {ln.fk.name} IS NOT NULL)")


@template("extra",
          "Which {parent} has the {sup} {agg} {cnum} over its {children}?",
          "What is the {plabel} of the {parent} whose {children} have the {sup} {agg} {cnum}?",
          "Find the {parent} with the {sup} {agg} {cnum} of {children}.",
          "Among the {parents}, which has {children} with the {sup} {agg} {cnum}?",
          "{parent} topping the {agg} {cnum} of its {children}?",
          nps=("the {parent} with the {sup} {agg} {cnum} across its {children}",
               "the {plabel} of the {parent} whose {children} have the {sup} {agg} {cnum}",
               "the {parent} that leads on {agg} {cnum} of {children}",
               "whichever {parent} has the {sup} {agg} {child} {cnum}",
               "the {parent} ranked {sup} by the {agg} {cnum} of its {children}"), frames="value")
def parent_top_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True, child_num=True)
    if ln is None or not not_null_nums(db, ln.child):
        return None
    num = rng.choice(not_null_nums(db, ln.child))
    fn = rng.choice(["avg"] + ([] if num.kind == "year" else ["sum"]))  # "highest maximum" reads badly
    desc = rng.random() < 0.7
    order = "DESC" if desc else "ASC"
    group = f"FROM {join_sql(ln)} GROUP BY p.{ln.parent.pk.name} ORDER BY {fn}(c.{num.name}) {order}"
    return Draft({**link_words(rng, ln), "cnum": phrase(rng, num), "agg": rng.choice(AGG[fn]),
                  "sup": rng.choice(_HIGH if desc else _LOW)},
                 f"SELECT p.{ln.parent.label} {group} LIMIT 1", tie_sql=f"SELECT {fn}(c.{num.name}) {group} LIMIT 2")

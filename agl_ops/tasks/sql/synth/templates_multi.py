"""Templates over grouping and several tables: the hard tier (GROUP BY, HAVING, joins)
and the extra tier (nested queries, joins with grouping, anti-joins)."""

from __future__ import annotations

import random

from agl_ops.tasks.sql.synth.context import (
    DbContext, Draft, FkLink, a_an, fmt_value, nouns, phrase, plural_phrase, sql_literal, template, threshold,
)
from agl_ops.tasks.sql.synth.templates_single import AGG, GT, LT, agg_fn

__all__ = ["link", "join_sql", "link_words"]


def link(rng: random.Random, db: DbContext, *, child_label: bool = False, single: bool = False,
         parent_cat: bool = False, parent_num: bool = False, child_num: bool = False,
         child_cat: bool = False) -> FkLink | None:
    links = [
        ln for ln in db.links
        if (not child_label or ln.child.has_text_label) and (not single or db.single_link(ln))
        and (not parent_cat or db.cat_cols(ln.parent)) and (not parent_num or db.num_cols(ln.parent))
        and (not child_num or db.num_cols(ln.child)) and (not child_cat or db.cat_cols(ln.child))
        and ln.parent.has_text_label
    ]
    return rng.choice(links) if links else None


def join_sql(ln: FkLink) -> str:
    return f"{ln.child.name} AS c JOIN {ln.parent.name} AS p ON c.{ln.fk.name} = p.{ln.parent.pk.name}"


def link_words(rng: random.Random, ln: FkLink) -> dict[str, str]:
    child, children = nouns(rng, ln.child)
    parent, parents = nouns(rng, ln.parent)
    rel = phrase(rng, ln.fk) if ln.fk.words else parent
    clabel, plabel = phrase(rng, ln.child.label_col), phrase(rng, ln.parent.label_col)
    return {
        "child": child, "children": children, "parent": parent, "parents": parents, "a_parent": a_an(parent),
        "rel": rel, "a_rel": a_an(rel), "clabel": clabel, "clabels": plural_phrase(clabel),
        "plabel": plabel, "plabels": plural_phrase(plabel),
    }


# -- hard ---------------------------------------------------------------------------
@template("hard",
          "For each {cat}, how many {plural} are there?",
          "Count the {plural} for every {cat}.",
          "How many {plural} are there per {cat}? Show the {cat} and the count.",
          "How many {plural} do we have in each {cat}?",
          "Break down the number of {plural} by {cat}.",
          "{plural} per {cat}: give each {cat} with its number of {plural}.",
          nps=("the number of {plural} for each {cat}", "a count of {plural} per {cat}",
               "each {cat} with how many {plural} have it", "the {singular} count broken down by {cat}",
               "every {cat} together with its number of {plural}"))
def group_count(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    cat = rng.choice(db.cat_cols(t))
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": phrase(rng, cat)},
                 f"SELECT {cat.name}, count(*) FROM {t.name} GROUP BY {cat.name}")


@template("hard",
          "What is the {agg} {num} of {plural} for each {cat}?",
          "For every {cat}, show the {agg} {num} of its {plural}.",
          "Show the {agg} {num} per {cat}.",
          "Give each {cat} together with the {agg} {num} of the {plural} that have it.",
          "Break the {agg} {num} of {plural} down by {cat}.",
          "{agg} {num} of {plural}, broken down by {cat}.",
          nps=("the {agg} {num} of {plural} for each {cat}", "the {agg} {num} per {cat}",
               "each {cat} with the {agg} {num} of its {plural}", "the {agg} {singular} {num} by {cat}",
               "for every {cat}, the {agg} {num}"))
def group_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t) and db.num_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    cat, num = rng.choice(db.cat_cols(t)), rng.choice(db.num_cols(t))
    fn = agg_fn(rng, num)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": phrase(rng, cat), "num": phrase(rng, num),
                  "agg": rng.choice(AGG[fn])},
                 f"SELECT {cat.name}, {fn}({num.name}) FROM {t.name} GROUP BY {cat.name}")


@template("hard",
          "Which {cat} values are shared by more than {n} {plural}?",
          "Find each {cat} that more than {n} {plural} have.",
          "Which {cats} have more than {n} {plural}?",
          "List the {cat} values that appear in more than {n} {plural}.",
          "{cat} values held by over {n} {plural}?",
          nps=("the {cats} shared by more than {n} {plural}", "every {cat} with over {n} {plural}",
               "the {cat} values that more than {n} {plural} have", "{cats} having more than {n} {plural}",
               "each {cat} used by more than {n} {plural}"))
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
    p = phrase(rng, cat)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": p, "cats": plural_phrase(p), "n": n},
                 f"SELECT {cat.name} FROM {t.name} GROUP BY {cat.name} HAVING count(*) > {n}")


@template("hard",
          "Which {cat} is the most common among {plural}?",
          "What is the most frequent {cat} of the {plural}?",
          "Which {cat} do the most {plural} have?",
          "What's the most popular {cat} among our {plural}?",
          "Which {cat} comes up most often among the {plural}?",
          "Most common {cat} across {plural}?",
          nps=("the most common {cat} among the {plural}", "the {cat} that most {plural} have",
               "the most frequent {singular} {cat}", "the {cat} shared by the largest number of {plural}",
               "which {cat} is most common for {plural}"), frames="value")
def most_common(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: bool(db.cat_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    cat = rng.choice(db.cat_cols(t))
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "cat": phrase(rng, cat)},
                 f"SELECT {cat.name} FROM {t.name} GROUP BY {cat.name} ORDER BY count(*) DESC LIMIT 1",
                 tie_sql=f"SELECT count(*) FROM {t.name} GROUP BY {cat.name} ORDER BY count(*) DESC LIMIT 2")


@template("hard",
          "List the {clabel} of each {child} together with the {plabel} of its {rel}.",
          "Show every {child}'s {clabel} and the {plabel} of its {rel}.",
          "For each {child}, give its {clabel} and its {rel}'s {plabel}.",
          "What is the {rel} of each {child}? Show the {clabel} and the {rel}'s {plabel}.",
          "{children} paired with their {rel}: {clabel}, then the {rel}'s {plabel}.",
          nps=("the {clabel} of each {child} with the {plabel} of its {rel}", "every {child} and its {rel}",
               "each {child}'s {clabel} next to its {rel}'s {plabel}",
               "the {clabels} of the {children} along with their {rel}",
               "all {children} with the {plabel} of the {rel} they belong to"))
def join_pairs(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, child_label=True)
    if ln is None or db.n_rows(ln.child) > 60:
        return None
    return Draft(link_words(rng, ln), f"SELECT c.{ln.child.label}, p.{ln.parent.label} FROM {join_sql(ln)}")


@template("hard",
          "List the {clabels} of {children} whose {rel} has {pcat} {value}.",
          "Which {children} have {a_rel} with {pcat} {value}? Give their {clabels}.",
          "Which {children} belong to {a_rel} whose {pcat} is {value}?",
          "Show the {clabels} of every {child} whose {rel}'s {pcat} is {value}.",
          "{clabels} of {children} linked to {a_rel} with {pcat} = {value}?",
          nps=("the {clabels} of {children} whose {rel} has {pcat} {value}",
               "the {children} of {parents} with {pcat} {value}", "every {child} whose {rel}'s {pcat} is {value}",
               "all {children} tied to {a_rel} with {pcat} {value}",
               "{children} whose {rel} is in {pcat} {value}, by {clabel}"))
def join_filter(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, child_label=True, parent_cat=True)
    if ln is None:
        return None
    cat = rng.choice(db.cat_cols(ln.parent))
    value = rng.choice(db.values(ln.parent, cat))
    return Draft({**link_words(rng, ln), "pcat": phrase(rng, cat), "value": value},
                 f"SELECT c.{ln.child.label} FROM {join_sql(ln)} WHERE p.{cat.name} = {sql_literal(value)}")


@template("hard",
          "How many {children} have {name} as their {rel}?",
          "Count the {children} whose {rel} is {name}.",
          "How many {children} does {name} have?",
          "How many {children} are there for the {rel} {name}?",
          "What is the number of {children} with the {rel} {name}?",
          "{rel} {name}: number of {children}?",
          nps=("the number of {children} whose {rel} is {name}", "how many {children} {name} has",
               "the count of {children} for {name}", "the number of {children} linked to the {rel} {name}",
               "the total {children} of {name}"), frames="number")
def join_count(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db)
    if ln is None:
        return None
    name = rng.choice(db.values(ln.parent, ln.parent.label_col))
    return Draft({**link_words(rng, ln), "name": name},
                 f"SELECT count(*) FROM {join_sql(ln)} WHERE p.{ln.parent.label} = {sql_literal(name)}")


@template("hard",
          "For each {parent} that has {children}, how many {children} does it have? Show the {plabel} and the count.",
          "List the {plabel} of every {parent} with at least one {child}, and its number of {children}.",
          "How many {children} does each {parent} have? Skip {parents} without any.",
          "Give each {parent}'s {plabel} with the count of its {children} (only {parents} that have some).",
          "{plabel} and number of {children}, per {parent} (skip those with none).",
          nps=("the number of {children} of each {parent} that has any, with its {plabel}",
               "every {parent} with at least one {child} and how many it has",
               "each {parent}'s {plabel} and {child} count, leaving out {parents} with none",
               "a count of {children} per {parent} (only {parents} with {children})",
               "the {plabels} of {parents} with {children}, with their number of {children}"))
def join_group_count(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True)
    if ln is None:
        return None
    return Draft(link_words(rng, ln),
                 f"SELECT p.{ln.parent.label}, count(*) FROM {join_sql(ln)} GROUP BY p.{ln.parent.pk.name}")


# -- extra --------------------------------------------------------------------------
@template("extra",
          "Which {plural} have {a_num} above the average? List their {labels}.",
          "List the {labels} of {plural} whose {num} is higher than the average {num} of all {plural}.",
          "Which {plural} have a higher {num} than average?",
          "Show the {labels} of every {singular} with an above-average {num}.",
          "{plural} whose {num} beats the mean: {labels}?",
          nps=("the {labels} of {plural} with {a_num} above the average", "the {plural} whose {num} is above average",
               "every {singular} with a higher-than-average {num}", "{plural} beating the average {num}",
               "all {plural} whose {num} exceeds the mean"))
def above_average(rng: random.Random, db: DbContext) -> Draft | None:
    tables = db.tables(lambda t: t.has_text_label and bool(db.num_cols(t)))
    if not tables:
        return None
    t = rng.choice(tables)
    num = rng.choice(db.num_cols(t))
    p = phrase(rng, num)
    one, many = nouns(rng, t)
    label = phrase(rng, t.label_col)
    return Draft({"singular": one, "plural": many, "label": label, "labels": plural_phrase(label), "num": p,
                  "a_num": a_an(p)},
                 f"SELECT {t.label} FROM {t.name} WHERE {num.name} > (SELECT avg({num.name}) FROM {t.name})")


@template("extra",
          "Which {parents} have no {children}? Give their {plabels}.",
          "List the {plabels} of {parents} that do not have any {children}.",
          "Which {parents} don't have a single {child}?",
          "Show the {plabel} of every {parent} without a single {child}.",
          "{parents} lacking any {children} ({plabel})?",
          nps=("the {parents} that have no {children}", "the {plabels} of {parents} without any {children}",
               "every {parent} with zero {children}", "all {parents} that never had {children}",
               "{parents} with no {children} at all"))
def without_children(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True)
    if ln is None:
        return None
    p, c = ln.parent, ln.child
    return Draft(link_words(rng, ln),
                 f"SELECT {p.label} FROM {p.name} WHERE {p.pk.name} NOT IN "
                 f"(SELECT {ln.fk.name} FROM {c.name} WHERE {ln.fk.name} IS NOT NULL)")


@template("extra",
          "Which {parent} has the most {children}?",
          "What is the {plabel} of the {parent} with the largest number of {children}?",
          "Which {parent} has the highest number of {children}?",
          "Find the {parent} that has more {children} than any other; give its {plabel}.",
          "{parent} with the most {children} ({plabel})?",
          nps=("the {parent} with the most {children}", "the {plabel} of the {parent} having the most {children}",
               "the {parent} that has more {children} than any other", "the busiest {parent} by number of {children}",
               "whichever {parent} has the largest number of {children}"), frames="value")
def most_children(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True)
    if ln is None:
        return None
    group = f"FROM {join_sql(ln)} GROUP BY p.{ln.parent.pk.name} ORDER BY count(*) DESC"
    return Draft(link_words(rng, ln), f"SELECT p.{ln.parent.label} {group} LIMIT 1",
                 tie_sql=f"SELECT count(*) {group} LIMIT 2")


@template("extra",
          "Which {parents} have more than {n} {children}? Give their {plabels}.",
          "List the {plabels} of {parents} with more than {n} {children}.",
          "Which {parents} have over {n} {children}?",
          "Show the {plabel} of every {parent} that has over {n} {children}.",
          "{parents} having over {n} {children}: {plabels}?",
          nps=("the {parents} with more than {n} {children}", "the {plabels} of {parents} with over {n} {children}",
               "every {parent} that has more than {n} {children}", "{parents} with at least {n1} {children}",
               "all {parents} having over {n} {children}"))
def parents_having(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True)
    if ln is None:
        return None
    counts = sorted(n for (n,) in db.run(f"SELECT count(*) FROM {join_sql(ln)} GROUP BY p.{ln.parent.pk.name}"))
    if len(counts) < 3:
        return None
    n = counts[rng.randint(len(counts) // 3, len(counts) - 2)]
    return Draft({**link_words(rng, ln), "n": n, "n1": n + 1},
                 f"SELECT p.{ln.parent.label} FROM {join_sql(ln)} GROUP BY p.{ln.parent.pk.name} HAVING count(*) > {n}")


@template("extra",
          "For each {parent}, what is the {agg} {cnum} of its {children}? Show the {plabel} too.",
          "List every {parent}'s {plabel} with the {agg} {cnum} of its {children}.",
          "What is the {agg} {cnum} of {children} per {parent}?",
          "Give the {plabel} of each {parent} and the {agg} {cnum} over its {children}.",
          "{agg} {cnum} of {children}, per {parent} ({plabel}).",
          nps=("the {agg} {cnum} of the {children} of each {parent}", "every {parent} with the {agg} {cnum} of its {children}",
               "the {agg} {cnum} per {parent}, with the {plabel}", "each {parent}'s {agg} {child} {cnum}",
               "for every {parent}, the {agg} {cnum} across its {children}"))
def join_group_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, single=True, child_num=True)
    if ln is None:
        return None
    num = rng.choice(db.num_cols(ln.child))
    fn = agg_fn(rng, num)
    return Draft({**link_words(rng, ln), "cnum": phrase(rng, num), "agg": rng.choice(AGG[fn])},
                 f"SELECT p.{ln.parent.label}, {fn}(c.{num.name}) FROM {join_sql(ln)} GROUP BY p.{ln.parent.pk.name}")


@template("extra",
          "List the {clabels} of {children} whose {rel} has {a_pnum} {op} {x}.",
          "Which {children} belong to {a_rel} with {pnum} {op} {x}? Give their {clabels}.",
          "Which {children} have {a_rel} whose {pnum} is {op} {x}?",
          "Show the {clabel} of every {child} whose {rel}'s {pnum} is {op} {x}.",
          "{clabels} of {children} where the {rel}'s {pnum} is {op} {x}?",
          nps=("the {clabels} of {children} whose {rel} has {a_pnum} {op} {x}",
               "the {children} of {parents} with {pnum} {op} {x}", "every {child} whose {rel}'s {pnum} is {op} {x}",
               "all {children} tied to {a_rel} with {a_pnum} {op} {x}",
               "{children} whose {rel} has {pnum} {op} {x}, by {clabel}"))
def nested_filter(rng: random.Random, db: DbContext) -> Draft | None:
    ln = link(rng, db, child_label=True, parent_num=True)
    if ln is None:
        return None
    num = rng.choice(db.num_cols(ln.parent))
    x = threshold(rng, db.values(ln.parent, num), num)
    greater = rng.random() < 0.5
    p = phrase(rng, num)
    return Draft({**link_words(rng, ln), "pnum": p, "a_pnum": a_an(p), "op": rng.choice(GT if greater else LT),
                  "x": fmt_value(x)},
                 f"SELECT {ln.child.label} FROM {ln.child.name} WHERE {ln.fk.name} IN "
                 f"(SELECT {ln.parent.pk.name} FROM {ln.parent.name} WHERE {num.name} {'>' if greater else '<'} {sql_literal(x)})")

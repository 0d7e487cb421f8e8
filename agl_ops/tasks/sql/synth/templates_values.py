"""Templates over the values real tables hold: missing values (``IS NULL`` / ``IS NOT
NULL``), yes/no flags stored as 0/1, text patterns (``LIKE``) and dates (years, months,
ranges, "since", the latest), in the easy and medium tiers, plus counts per year (hard).

Dates are ISO text, so a year is ``strftime('%Y', col)``, a month
``strftime('%Y-%m', col)`` and a range a plain string comparison; timestamps
(``YYYY-MM-DD HH:MM:SS``) are compared with ``>=``/``<`` on days or through
``date(col)``, so a day's rows are never cut off by their time of day.
"""

from __future__ import annotations

import calendar
import random

from agl_ops.tasks.sql.synth.context import (
    MONTHS, DbContext, Draft, a_an, fmt_date, nouns, phrase, plural_phrase, sql_literal, table_words, template,
    threshold,
)
from agl_ops.tasks.sql.synth.spec import Column, Table
from agl_ops.tasks.sql.synth.templates_single import AGG, agg_fn

__all__ = ["flag", "event"]

_DATE_WEIGHT = 0.6  # six date templates in one tier: keep them from crowding out the rest
_LIKE_WEIGHT = 0.7


def _pick(rng: random.Random, items: list) -> object | None:
    return rng.choice(items) if items else None


def _labelled(db: DbContext, need: object) -> list[Table]:
    return [t for t in db.tables(lambda t: t.has_text_label) if need(t)]  # type: ignore[operator]


def flag(rng: random.Random, col: Column) -> tuple[str, int]:
    """A yes/no column as a plural predicate and the stored value it means."""
    if rng.random() < 0.6:
        return rng.choice(col.words), 1
    return rng.choice(col.neg), 0


def event(rng: random.Random, col: Column) -> str:
    """What a date records, as a plural predicate: "were hired", or "have a hire date"."""
    if col.verbs and rng.random() < 0.75:
        return rng.choice(col.verbs)
    return f"have {a_an(phrase(rng, col))}"


# -- missing values -------------------------------------------------------------------
@template("easy",
          "Which {plural} have no {col} recorded?",
          "List the {labels} of {plural} whose {col} is missing.",
          "Which {plural} are missing {a_col}?",
          "For which {plural} is the {col} unknown?",
          "Show the {plural} without {a_col} on file.",
          "{plural} lacking {a_col}: {labels}?",
          nps=("the {plural} with no {col} recorded", "the {labels} of {plural} whose {col} is empty",
               "every {singular} missing {a_col}", "{plural} that have no {col} on file",
               "all {plural} where the {col} was never filled in"))
def null_missing(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db, db.null_cols))
    if t is None:
        return None
    col = rng.choice(db.null_cols(t))
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "col": p, "a_col": a_an(p)},
                 f"SELECT {t.label} FROM {t.name} WHERE {col.name} IS NULL")


@template("easy",
          "How many {plural} have {a_col} recorded?",
          "How many {plural} have {a_col} on file?",
          "Count the {plural} whose {col} is known.",
          "How many {plural} gave {a_col}?",
          "For how many {plural} do we have {a_col}?",
          "Number of {plural} with a non-empty {col}?",
          nps=("the number of {plural} with {a_col} recorded", "how many {plural} have {a_col} on file",
               "the count of {plural} whose {col} is filled in", "the number of {plural} that have {a_col}",
               "the total of {plural} with a known {col}"), frames="number")
def null_present_count(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.null_cols(t))))
    if t is None:
        return None
    col = rng.choice(db.null_cols(t))
    p = phrase(rng, col)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "col": p, "a_col": a_an(p)},
                 f"SELECT count(*) FROM {t.name} WHERE {col.name} IS NOT NULL")


@template("medium",
          "List the {labels} of {plural} that have {a_col} recorded, with the {col}.",
          "Which {plural} have {a_col} on file? Show the {label} and the {col}.",
          "Show the {label} and {col} of every {singular} whose {col} is known.",
          "Give me each {singular}'s {label} and {col}, skipping the ones with no {col}.",
          "{label} and {col} of {plural}, where a {col} exists?",
          nps=("the {label} and {col} of {plural} that have {a_col}",
               "every {singular} with a known {col}, with that {col}",
               "the {labels} and {plural_col} of {plural}, leaving out missing ones",
               "{plural} whose {col} is filled in, with their {col}",
               "the {col} of each {singular} that has one, next to its {label}"))
def null_present_list(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db, lambda t: any(len(db.values(t, c)) <= 60 for c in db.null_cols(t))))
    if t is None:
        return None
    col = rng.choice([c for c in db.null_cols(t) if len(db.values(t, c)) <= 60])
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "col": p, "a_col": a_an(p), "plural_col": plural_phrase(p)},
                 f"SELECT {t.label}, {col.name} FROM {t.name} WHERE {col.name} IS NOT NULL")


# -- yes/no flags ---------------------------------------------------------------------
@template("easy",
          "Which {plural} {pred}?",
          "List the {labels} of {plural} that {pred}.",
          "Show me the {plural} that {pred}.",
          "What are the {labels} of the {plural} that {pred}?",
          "Find all {plural} which {pred}.",
          "{plural} that {pred}: {labels}?",
          nps=("the {plural} that {pred}", "the {labels} of all {plural} that {pred}", "all {plural} which {pred}",
               "every one of the {plural} that {pred}", "those {plural} that {pred}, by {label}"))
def bool_filter(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db, lambda t: bool(db.bool_cols(t))))
    if t is None:
        return None
    col = rng.choice(db.bool_cols(t))
    pred, value = flag(rng, col)
    return Draft({**table_words(rng, t), "pred": pred}, f"SELECT {t.label} FROM {t.name} WHERE {col.name} = {value}")


@template("easy",
          "How many {plural} {pred}?",
          "Count the {plural} that {pred}.",
          "How many of our {plural} {pred}?",
          "How many {plural} {pred} in total?",
          "What is the number of {plural} that {pred}?",
          "Total {plural} that {pred}?",
          nps=("the number of {plural} that {pred}", "how many {plural} {pred}", "the count of {plural} which {pred}",
               "the total number of {plural} that {pred}", "the tally of {plural} that {pred}"), frames="number")
def bool_count(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, db.tables(lambda t: bool(db.bool_cols(t))))
    if t is None:
        return None
    col = rng.choice(db.bool_cols(t))
    pred, value = flag(rng, col)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "pred": pred},
                 f"SELECT count(*) FROM {t.name} WHERE {col.name} = {value}")


@template("medium",
          "Which {plural} with {cat} {value} {pred}?",
          "List the {labels} of {plural} that {pred} and have {cat} {value}.",
          "Among {plural} with {cat} {value}, which ones {pred}?",
          "Show the {plural} whose {cat} is {value} and that {pred}.",
          "{cat} {value} {plural} that {pred}: {labels}?",
          nps=("the {plural} with {cat} {value} that {pred}", "the {labels} of {plural} that {pred} and have {cat} {value}",
               "every {singular} with {cat} {value}, if they {pred}", "those {plural} that {pred} among the {cat} {value} ones",
               "{plural} whose {cat} is {value} and which {pred}"))
def bool_and_category(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _labelled(db, lambda t: bool(db.bool_cols(t) and db.cat_cols(t))))
    if t is None:
        return None
    col, cat = rng.choice(db.bool_cols(t)), rng.choice(db.cat_cols(t))
    pred, flag_value = flag(rng, col)
    value = rng.choice(db.values(t, cat))
    return Draft({**table_words(rng, t), "pred": pred, "cat": phrase(rng, cat), "value": value},
                 f"SELECT {t.label} FROM {t.name} WHERE {cat.name} = {sql_literal(value)} AND {col.name} = {flag_value}")


# -- text patterns ----------------------------------------------------------------------
def _quoted(rng: random.Random, text: str) -> str:
    return rng.choice((f"'{text}'", f'"{text}"', text))


def _text_labelled(db: DbContext) -> list[Table]:
    return db.tables(lambda t: t.label_col.kind in ("person", "title", "choice_unique"))


@template("easy",
          "Which {plural} have {a_label} starting with {s}?",
          "List the {plural} whose {label} begins with {s}.",
          "Show all {plural} with {a_label} that starts with {s}.",
          "Which {labels} of {plural} start with {s}?",
          "Find the {plural} whose {label} starts with {s}.",
          "{plural} whose {label} opens with {s}?",
          nps=("the {plural} whose {label} starts with {s}", "every {singular} with {a_label} beginning with {s}",
               "the {labels} of {plural} that start with {s}", "all {plural} named with {s} at the start",
               "{plural} with {labels} beginning in {s}"), weight=_LIKE_WEIGHT)
def like_prefix(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _text_labelled(db))
    if t is None:
        return None
    value = str(rng.choice(db.values(t, t.label_col)))
    prefix = value[: rng.randint(1, 3)].rstrip()
    if not prefix.isalpha():
        return None
    words = table_words(rng, t)
    return Draft({**words, "a_label": a_an(words["label"]), "s": _quoted(rng, prefix)},
                 f"SELECT {t.label} FROM {t.name} WHERE {t.label} LIKE {sql_literal(prefix + '%')}")


@template("medium",
          "Which {plural} have {a_label} containing {s}?",
          "List the {plural} whose {label} contains {s}.",
          "Show every {singular} with {s} somewhere in its {label}.",
          "Which {plural} mention {s} in their {label}?",
          "Find {plural} with {s} in the {label}.",
          "{plural} whose {label} includes {s}?",
          nps=("the {plural} whose {label} contains {s}", "every {singular} with {s} in its {label}",
               "the {labels} of {plural} that include {s}", "all {plural} with {a_label} containing {s}",
               "{plural} having {s} anywhere in the {label}"), weight=_LIKE_WEIGHT)
def like_contains(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _text_labelled(db))
    if t is None:
        return None
    value = str(rng.choice(db.values(t, t.label_col)))
    parts = [w for w in value.split() if len(w) >= 3 and w.isalpha() and w.lower() != "the"]
    if not parts:
        return None
    word = rng.choice(parts)
    words = table_words(rng, t)
    return Draft({**words, "a_label": a_an(words["label"]), "s": _quoted(rng, word)},
                 f"SELECT {t.label} FROM {t.name} WHERE {t.label} LIKE {sql_literal('%' + word + '%')}")


@template("medium",
          "How many {plural} have {a_label} ending in {s}?",
          "Count the {plural} whose {label} ends with {s}.",
          "How many {plural}' {labels} end with {s}?",
          "What is the number of {plural} with {a_label} that ends in {s}?",
          "Number of {plural} whose {label} finishes with {s}?",
          nps=("the number of {plural} whose {label} ends with {s}", "how many {plural} have {labels} ending in {s}",
               "the count of {plural} with {a_label} that ends in {s}", "the number of {labels} ending with {s}",
               "the tally of {plural} whose {label} finishes in {s}"), frames="number", weight=_LIKE_WEIGHT)
def like_suffix_count(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _text_labelled(db))
    if t is None:
        return None
    value = str(rng.choice(db.values(t, t.label_col)))
    suffix = value[-rng.randint(2, 4):]
    if not suffix.isalpha():
        return None
    words = table_words(rng, t)
    return Draft({**words, "a_label": a_an(words["label"]), "s": _quoted(rng, suffix)},
                 f"SELECT count(*) FROM {t.name} WHERE {t.label} LIKE {sql_literal('%' + suffix)}")


# -- dates ----------------------------------------------------------------------------
def _dated(db: DbContext, labelled: bool = True, not_null: bool = False) -> list[Table]:
    return db.tables(lambda t: (t.has_text_label or not labelled) and bool(_date_cols(db, t, not_null)))


def _date_cols(db: DbContext, t: Table, not_null: bool = False) -> list[Column]:
    return [c for c in db.date_cols(t) if not (not_null and c.null_frac)]


@template("medium",
          "Which {plural} {event} in {year}?",
          "List the {labels} of {plural} that {event} in {year}.",
          "Show the {plural} that {event} during {year}.",
          "Which {plural} {event} in the year {year}?",
          "What are the {labels} of {plural} that {event} in {year}?",
          "{plural} that {event} in {year}: {labels}?",
          nps=("the {plural} that {event} in {year}", "the {labels} of {plural} that {event} in {year}",
               "every {singular} whose {date} is in {year}", "all {plural} with {a_date} in {year}",
               "{plural} whose {date} falls in {year}"), weight=_DATE_WEIGHT)
def date_year(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t))
    year = str(rng.choice(db.values(t, col)))[:4]
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "event": event(rng, col), "year": year, "date": p, "a_date": a_an(p)},
                 f"SELECT {t.label} FROM {t.name} WHERE strftime('%Y', {col.name}) = '{year}'")


@template("medium",
          "How many {plural} {event} in {year}?",
          "Count the {plural} that {event} in {year}.",
          "How many {plural} {event} during {year} in total?",
          "In {year}, how many {plural} {event}?",
          "What is the number of {plural} that {event} in {year}?",
          "Number of {plural} that {event} in {year}?",
          nps=("the number of {plural} that {event} in {year}", "how many {plural} {event} in {year}",
               "the count of {plural} with {a_date} in {year}", "the count of {plural} whose {date} falls in {year}",
               "the total of {plural} that {event} in {year}"), frames="number", weight=_DATE_WEIGHT)
def date_year_count(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db, labelled=False))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t))
    year = str(rng.choice(db.values(t, col)))[:4]
    p = phrase(rng, col)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "event": event(rng, col), "year": year, "date": p, "a_date": a_an(p)},
                 f"SELECT count(*) FROM {t.name} WHERE strftime('%Y', {col.name}) = '{year}'")


@template("medium",
          "Which {plural} {event} in {month} {year}?",
          "List the {labels} of {plural} that {event} in {month} {year}.",
          "Show me the {plural} that {event} during {month} {year}.",
          "What {plural} {event} in {month} of {year}?",
          "{plural} that {event} in {month} {year}: {labels}?",
          nps=("the {plural} that {event} in {month} {year}", "the {labels} of {plural} that {event} in {month} {year}",
               "all {plural} with {a_date} in {month} {year}", "every {singular} whose {date} is in {month} {year}",
               "{plural} whose {date} falls within {month} {year}"), weight=_DATE_WEIGHT)
def date_month(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t))
    ym = str(rng.choice(db.values(t, col)))[:7]
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "event": event(rng, col), "year": ym[:4], "month": MONTHS[int(ym[5:]) - 1],
                  "date": p, "a_date": a_an(p)},
                 f"SELECT {t.label} FROM {t.name} WHERE strftime('%Y-%m', {col.name}) = '{ym}'")


def _month_bounds(a: str, b: str) -> tuple[str, str]:
    """From the first day of ``a``'s month to the last day of ``b``'s month."""
    year, month = int(b[:4]), int(b[5:7])
    return f"{a[:7]}-01", f"{b[:7]}-{calendar.monthrange(year, month)[1]:02d}"


@template("medium",
          "Which {plural} {event} between {d1} and {d2}?",
          "List the {labels} of {plural} with {a_date} between {d1} and {d2}.",
          "Show the {plural} that {event} from {d1} to {d2}.",
          "Which {plural} have {a_date} in the period {d1} to {d2}?",
          "{plural} that {event} between {d1} and {d2} (inclusive)?",
          nps=("the {plural} that {event} between {d1} and {d2}", "the {labels} of {plural} with {a_date} from {d1} to {d2}",
               "every {singular} whose {date} is between {d1} and {d2}", "all {plural} with {a_date} from {d1} through {d2}",
               "{plural} whose {date} lies between {d1} and {d2}"), weight=_DATE_WEIGHT)
def date_range(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t))
    vals = db.values(t, col)
    lo, hi = _month_bounds(*sorted((threshold(rng, vals, col), threshold(rng, vals, col))))
    target = col.name if col.kind == "date" else f"date({col.name})"
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "event": event(rng, col), "d1": fmt_date(rng, lo), "d2": fmt_date(rng, hi),
                  "date": p, "a_date": a_an(p)},
                 f"SELECT {t.label} FROM {t.name} WHERE {target} BETWEEN '{lo}' AND '{hi}'")


@template("medium",
          "Which {plural} {event} on or after {day}?",
          "List the {labels} of {plural} that {event} since {day}.",
          "Show the {plural} with {a_date} of {day} or later.",
          "Which {plural} have {a_date} no earlier than {day}?",
          "{plural} that {event} since {day}?",
          nps=("the {plural} that {event} since {day}", "the {labels} of {plural} with {a_date} on or after {day}",
               "every {singular} whose {date} is {day} or later", "all {plural} with {a_date} from {day} onwards",
               "{plural} with {date} from {day} on"), weight=_DATE_WEIGHT)
def date_since(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t))
    day = str(threshold(rng, db.values(t, col), col))[:10]
    p = phrase(rng, col)
    return Draft({**table_words(rng, t), "event": event(rng, col), "day": fmt_date(rng, day), "date": p, "a_date": a_an(p)},
                 f"SELECT {t.label} FROM {t.name} WHERE {col.name} >= '{day}'")


@template("medium",
          "Which {singular} has the {sup} {date}?",
          "What is the {label} of the {singular} with the {sup} {date}?",
          "Give me the {label} of the {sup2} {singular} by {date}.",
          "Which was the {sup2} {singular}, judging by {date}?",
          "The {singular} with the {sup} {date}: its {label}?",
          nps=("the {singular} with the {sup} {date}", "the {label} of the {sup2} {singular} by {date}",
               "the {singular} whose {date} is the {sup}", "the {sup2} {singular} going by {date}",
               "whichever {singular} has the {sup} {date}"), frames="value", weight=_DATE_WEIGHT)
def date_latest(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db, not_null=True))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t, not_null=True))
    latest = rng.random() < 0.6
    order = "DESC" if latest else "ASC"
    return Draft({**table_words(rng, t), "date": phrase(rng, col),
                  "sup": rng.choice(("latest", "most recent") if latest else ("earliest", "oldest")),
                  "sup2": rng.choice(("latest", "most recent", "newest") if latest else ("earliest", "first", "oldest"))},
                 f"SELECT {t.label} FROM {t.name} ORDER BY {col.name} {order} LIMIT 1",
                 tie_sql=f"SELECT {col.name} FROM {t.name} ORDER BY {col.name} {order} LIMIT 2")


@template("medium",
          "What is the {agg} {num} of {plural} that {event} in {year}?",
          "For {plural} that {event} in {year}, what is the {agg} {num}?",
          "Among the {plural} that {event} in {year}, what's the {agg} {num}?",
          "Compute the {agg} {num} over {plural} with {a_date} in {year}.",
          "{agg} {num} of {plural} whose {date} is in {year}?",
          nps=("the {agg} {num} of {plural} that {event} in {year}", "the {agg} {num} for {plural} from {year}",
               "the {agg} {num} across {plural} with {a_date} in {year}", "the {agg} {num} of {plural} whose {date} is in {year}",
               "the {agg} {num}, only counting {plural} that {event} in {year}"), frames="number", weight=_DATE_WEIGHT)
def date_year_aggregate(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, [t for t in _dated(db, labelled=False) if db.num_cols(t)])
    if t is None:
        return None
    col, num = rng.choice(_date_cols(db, t)), rng.choice(db.num_cols(t))
    year = str(rng.choice(db.values(t, col)))[:4]
    fn = agg_fn(rng, num)
    p = phrase(rng, col)
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "event": event(rng, col), "year": year, "date": p, "a_date": a_an(p),
                  "num": phrase(rng, num), "agg": rng.choice(AGG[fn])},
                 f"SELECT {fn}({num.name}) FROM {t.name} WHERE strftime('%Y', {col.name}) = '{year}'")


@template("hard",
          "How many {plural} {event} each year?",
          "For every year, count the {plural} that {event} that year.",
          "Show the number of {plural} per year of their {date}.",
          "Break the {plural} down by year of {date} and count them.",
          "Year by year, how many {plural} {event}?",
          nps=("the number of {plural} per year of {date}", "a yearly count of {plural} by {date}",
               "each year with how many {plural} {event} in it", "the {singular} count for every year of {date}",
               "how many {plural} {event} in each year"))
def date_group_year(rng: random.Random, db: DbContext) -> Draft | None:
    t = _pick(rng, _dated(db, labelled=False, not_null=True))
    if t is None:
        return None
    col = rng.choice(_date_cols(db, t, not_null=True))
    year = f"strftime('%Y', {col.name})"
    one, many = nouns(rng, t)
    return Draft({"singular": one, "plural": many, "event": event(rng, col), "date": phrase(rng, col)},
                 f"SELECT {year}, count(*) FROM {t.name} GROUP BY {year}")

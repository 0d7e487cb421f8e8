"""A per-schema SQLite SELECT grammar for constrained decoding.

The 135M model invents tables and columns; decoding under this grammar makes every
query it writes parse as SQLite and name only the tables and columns the agent
showed it. The grammar is GBNF (llama.cpp's EBNF: ``rule ::= ...``, root rule
``root``), the one syntax that our server (llguidance) and both of vLLM's grammar
backends (xgrammar natively, guidance by conversion) accept as ``guided_grammar`` /
``structured_outputs.grammar``.

What it admits: ``SELECT [DISTINCT|ALL] ... FROM ...`` with joins (``JOIN``, ``LEFT
[OUTER]``, ``INNER``, ``CROSS``, ``NATURAL``, comma) and ``ON``/``USING``, ``WHERE``,
``GROUP BY``, ``HAVING``, ``ORDER BY ... ASC|DESC``, ``LIMIT n [OFFSET n | , n]``,
``UNION [ALL]``/``INTERSECT``/``EXCEPT``, subqueries (scalar, ``IN``, ``EXISTS``, in
``FROM``), ``CASE``, ``CAST``, arithmetic and ``||``, ``AND``/``OR``/``NOT``,
comparisons, ``[NOT] IN``, ``[NOT] LIKE``, ``[NOT] BETWEEN``, ``IS [NOT] NULL``,
common functions (aggregates, date/time, string, math), literals (``'...'`` with
``''`` escapes, integers, decimals, ``NULL``, ``TRUE``/``FALSE``) and an optional
final ``;``. Keywords, function names and identifiers are case-insensitive (as in
SQLite); identifiers may be quoted with ``"`` or backticks.

What it limits: table names are the given tables; ``table.column`` takes only that
table's columns; bare and alias-qualified columns take any of the given columns.
Table aliases are ``T1``-style names or short lowercase names (up to 3
characters); a result column may be named anything after ``AS`` (defining a name is
harmless), but ``ORDER BY`` and ``HAVING`` may refer to a result name only when it has
the short form or is one of ``RESULT_ALIASES`` (total, cnt, ...). Those are the only
non-schema identifiers it admits, so an invented column cannot pass as an alias. Whitespace is bounded (no blank lines: the
agent stops at ``"\\n\\n"``) so a model cannot loop on it.
Arithmetic is bounded the same way: at most four additive terms of at most three
factors each and one comparison per predicate (``1 + 1 + 1 = 2 + ...`` was the base
model's favourite loop under the mask); parentheses nest deeper where a query needs it.
A query's first SELECT needs a ``FROM`` (a question about the database is never answered
by ``SELECT 1``); compound parts may select constants.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agl_ops.tasks.sql.schema import TableInfo

__all__ = ["sql_grammar", "KEYWORDS", "FUNCTIONS", "RESULT_ALIASES"]

KEYWORDS = ("select", "distinct", "all", "from", "where", "group", "by", "having", "order", "asc", "desc", "limit",
            "offset", "union", "intersect", "except", "join", "inner", "left", "right", "full", "outer", "cross",
            "natural", "on", "using", "as", "and", "or", "not", "in", "like", "glob", "between", "is", "null",
            "exists", "case", "when", "then", "else", "end", "cast", "true", "false", "collate", "nocase", "escape",
            "nulls", "first", "last")
FUNCTIONS = ("count", "sum", "avg", "min", "max", "total", "group_concat", "strftime", "date", "time", "datetime",
             "julianday", "lower", "upper", "round", "abs", "length", "coalesce", "ifnull", "nullif", "iif", "substr",
             "substring", "trim", "ltrim", "rtrim", "replace", "instr", "typeof", "printf", "random", "cast")
RESULT_ALIASES = ("total", "used", "cnt", "num", "count", "amount", "value", "n", "number", "quantity", "qty", "revenue",
                  "spent", "avg_value", "average", "diff", "duration", "score", "ratio", "share", "pct", "percent",
                  "rank", "result", "max_value", "min_value", "sum_value")
_AGGREGATES = ("count", "sum", "avg", "min", "max", "total", "group_concat")
_TYPES = ("integer", "int", "real", "float", "numeric", "text", "varchar", "char", "date", "boolean")

# whitespace: a separator is 1-2 blanks or one newline with some indentation; never a blank line
_FIXED = r'''
sp ::= [ \t] [ \t]? | [ \t]? "\n" [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]? [ \t]?
root ::= sp? query sp? (";" sp?)?
query ::= select-head (sp compound-op select-core)* (sp order-by)? (sp limit)?
compound-op ::= (kw-union | kw-union sp kw-all | kw-intersect | kw-except) sp
select-head ::= select-lead sp kw-from sp from-clause select-tail
select-core ::= select-lead (sp kw-from sp from-clause)? select-tail
select-lead ::= kw-select (sp (kw-distinct | kw-all))? sp result-cols
select-tail ::= (sp kw-where sp expr)? (sp group-by)? (sp kw-having sp having-expr)?
result-cols ::= result-col (sp? "," sp? result-col)*
result-col ::= "*" | star-ref | expr (sp kw-as sp out-name | sp alias)?
group-by ::= kw-group sp kw-by sp expr (sp? "," sp? expr)*
order-by ::= kw-order sp kw-by sp order-item (sp? "," sp? order-item)*
order-item ::= (expr | result-alias) (sp kw-collate sp kw-nocase)? (sp (kw-asc | kw-desc))? (sp kw-nulls sp (kw-first | kw-last))?
limit ::= kw-limit sp limit-value ((sp kw-offset sp | sp? "," sp?) limit-value)?
limit-value ::= int-lit | "(" sp? query sp? ")"
from-clause ::= from-item (sp? "," sp? from-item | sp join-op sp from-item (sp join-cond)?)*
from-item ::= table-name (sp (kw-as sp)? alias)? | "(" sp? query sp? ")" (sp (kw-as sp)? alias)?
join-op ::= (kw-natural sp)? ((kw-left | kw-right | kw-full) (sp kw-outer)? sp | kw-inner sp | kw-cross sp)? kw-join
join-cond ::= kw-on sp expr | kw-using sp? "(" sp? column (sp? "," sp? column)* sp? ")"
expr ::= and-expr (sp kw-or sp and-expr)*
and-expr ::= not-expr (sp kw-and sp not-expr)*
not-expr ::= (kw-not sp)* predicate
predicate ::= kw-exists sp? "(" sp? query sp? ")" | value (sp? cmp-op sp? value | sp pred-tail)?
pred-tail ::= (kw-not sp)? kw-in sp? "(" sp? (query | expr-list) sp? ")" | (kw-not sp)? (kw-like | kw-glob) sp value (sp kw-escape sp string-lit)? | (kw-not sp)? kw-between sp value sp kw-and sp value | kw-is sp (kw-not sp)? value | kw-collate sp kw-nocase
cmp-op ::= "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
value ::= term (value-op term)? (value-op term)? (value-op term)?
value-op ::= sp? ("+" | "-" | "||") sp?
term ::= factor (term-op factor)? (term-op factor)?
term-op ::= sp? ("*" | "/" | "%") sp?
factor ::= ("-" | "+")? sp? primary
primary ::= literal | column | function | case-expr | cast-expr | "(" sp? query sp? ")" | "(" sp? expr sp? ")"
expr-list ::= expr (sp? "," sp? expr)*
function ::= aggregate | func-name sp? "(" sp? expr-list? sp? ")"
aggregate ::= agg-name sp? "(" sp? ("*" | (kw-distinct sp)? expr (sp? "," sp? expr)?) sp? ")"
case-expr ::= kw-case (sp value)? (sp kw-when sp expr sp kw-then sp expr)+ (sp kw-else sp expr)? sp kw-end
cast-expr ::= kw-cast sp? "(" sp? expr sp kw-as sp type-name sp? ")"
literal ::= string-lit | number-lit | kw-null | kw-true | kw-false
string-lit ::= "'" ([^'] | "''")* "'"
number-lit ::= int-lit ("." [0-9]*)? | "." [0-9]+
int-lit ::= [0-9]+
alias ::= [tT] [0-9] [0-9]? | [a-z] [a-z0-9_]? [a-z0-9_]?
out-name ::= [a-zA-Z_] [a-zA-Z0-9_]* | "\"" [^"\n]+ "\""
having-expr ::= expr | result-alias sp? cmp-op sp? value
column ::= column-name | qualified-column | alias "." column-name
'''


def _ci(word: str) -> str:
    """A case-insensitive GBNF sequence for ``word`` ("abc" -> [aA][bB][cC])."""
    parts = []
    for ch in word:
        if ch.isalpha() and ch.lower() != ch.upper():
            parts.append(f"[{ch.lower()}{ch.upper()}]")
        else:
            parts.append(_literal(ch))
    return " ".join(parts)


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _bare_ok(name: str) -> bool:
    return name.replace("_", "").isalnum() and name.isascii() and not name[:1].isdigit()


def _alternatives(items: Iterable[str]) -> str:
    return " | ".join(items)


class _Names:
    """One rule per distinct identifier (case-insensitive), written once and reused."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.lines: list[str] = []

    def ref(self, name: str) -> str:
        key = name.lower()
        if key not in self.index:
            i = self.index[key] = len(self.index)
            quoted = f'"\\"" nm-{i} "\\"" | "`" nm-{i} "`"'
            forms = f"nm-{i} | {quoted}" if _bare_ok(name) else quoted
            self.lines += [f"nm-{i} ::= {_ci(name)}", f"id-{i} ::= {forms}"]
        return f"id-{self.index[key]}"


def sql_grammar(tables: Sequence[TableInfo]) -> str:
    """GBNF grammar of SQLite SELECT queries over exactly ``tables`` (see the module doc).

    Deterministic for the same tables, so equal schemas give equal texts (servers
    cache compiled grammars by text)."""
    if not tables:
        raise ValueError("sql_grammar needs at least one table")
    lines = [_FIXED.strip()]
    lines += [f"kw-{kw} ::= {_ci(kw)}" for kw in KEYWORDS]
    lines.append("agg-name ::= " + _alternatives(_ci(f) for f in _AGGREGATES))
    lines.append("func-name ::= " + _alternatives(_ci(f) for f in FUNCTIONS if f not in _AGGREGATES))
    lines.append("type-name ::= " + _alternatives(_ci(t) for t in _TYPES))
    names = _Names()
    table_refs = [names.ref(t.name) for t in tables]
    column_sets = [list(dict.fromkeys(names.ref(c.name) for c in t.columns)) or [names.ref("rowid")] for t in tables]
    lines.append("table-name ::= " + _alternatives(dict.fromkeys(table_refs)))
    lines.append('star-ref ::= (table-name | alias) ".*"')
    lines.append("result-alias ::= alias | " + _alternatives(_ci(a) for a in RESULT_ALIASES))
    for i, cols in enumerate(column_sets):
        lines.append(f"cols-{i} ::= " + _alternatives(cols))
    lines.append("qualified-column ::= " + _alternatives(f'{ref} "." cols-{i}' for i, ref in enumerate(table_refs)))
    lines.append("column-name ::= " + _alternatives(dict.fromkeys(c for cols in column_sets for c in cols)))
    return "\n".join(lines + names.lines) + "\n"

"""The per-schema SQL grammar: every shipped gold query is admitted, invented tables and
columns are not, and the GBNF text compiles where vLLM would read it too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agl_ops.llm.masks import GrammarCompiler, grammar_accepts
from agl_ops.tasks.sql.extract import extract_sql
from agl_ops.tasks.sql.grammar import sql_grammar
from agl_ops.tasks.sql.schema import ColumnInfo, TableInfo, read_schema

TOKENIZER_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "smollm2-tokenizer"


@pytest.fixture(scope="module")
def compiler() -> GrammarCompiler:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(TOKENIZER_DIR)
    return GrammarCompiler(tok, len(tok), [tok.eos_token_id])


def _tables(*specs: tuple[str, list[str]]) -> list[TableInfo]:
    return [TableInfo(name=n, columns=[ColumnInfo(name=c, type="TEXT") for c in cols]) for n, cols in specs]


SCHEMA = _tables(("singer", ["Singer_ID", "Name", "Country", "Age"]), ("concert", ["concert_ID", "Year", "Stadium_ID"]),
                 ("singer_in_concert", ["concert_ID", "Singer_ID"]), ("Stadium Info", ["Stadium_ID", "Capacity"]))


def _rejected(compiler: GrammarCompiler, root: Path, rows: list[dict]) -> list[str]:
    grammars: dict[str, str] = {}
    bad = []
    for r in rows:
        db = r["db_id"]
        if db not in grammars:
            grammars[db] = sql_grammar(read_schema(root / "database" / db / f"{db}.sqlite"))
        if not grammar_accepts(compiler, grammars[db], r["query"]):
            bad.append(r["query"])
    return bad


def test_admits_every_synthetic_gold_query(compiler: GrammarCompiler, synth_dir: Path) -> None:
    rows = [r for split in ("train", "val", "test") for r in json.loads((synth_dir / f"{split}.json").read_text())]
    assert len(rows) == 200 and not _rejected(compiler, synth_dir, rows)


def test_admits_the_spider_fixture(compiler: GrammarCompiler, spider_mini: Path) -> None:
    rows = [r for f in ("train_spider.json", "dev.json") for r in json.loads((spider_mini / f).read_text())]
    assert rows and not _rejected(compiler, spider_mini, rows)


@pytest.mark.parametrize("module, name", [("realistic", "REALISTIC"), ("handwritten", "HANDWRITTEN")])
def test_admits_the_hand_written_sets(compiler: GrammarCompiler, tmp_path: Path, module: str, name: str) -> None:
    packaged = getattr(pytest.importorskip(f"agl_ops.tasks.sql.{module}"), name)
    root = Path(packaged.build(tmp_path / module))
    rows = json.loads((root / packaged.split_file).read_text())
    assert len(rows) > 100 and not _rejected(compiler, root, rows)


@pytest.mark.parametrize("query", [
    "select name from singer where age between 20 and 30 order by age desc limit 5 offset 2;",
    "SELECT T1.Name, count(*) FROM singer AS T1 JOIN singer_in_concert AS T2 ON T1.Singer_ID = T2.Singer_ID GROUP BY T1.Name HAVING count(*) >= 2",
    "SELECT Name FROM singer WHERE Country = 'Cote d''Ivoire' OR Country LIKE '%land' AND NOT Age IS NULL",
    "SELECT Name FROM singer s WHERE EXISTS (SELECT 1 FROM singer_in_concert x WHERE x.Singer_ID = s.Singer_ID)",
    "SELECT CASE WHEN Age > 40 THEN 'old' ELSE 'young' END AS band, avg(Age) FROM singer GROUP BY 1",
    "SELECT Year FROM concert UNION SELECT strftime('%Y', 'now') INTERSECT SELECT Year FROM concert EXCEPT SELECT '1999'",
    'SELECT "Stadium Info".Capacity, `Stadium Info`.Stadium_ID FROM "Stadium Info" WHERE Capacity > -1.5',
    "SELECT round(avg(Age), 2), max(Age) - min(Age) AS diff, lower(Name) || upper(Country) FROM singer ORDER BY diff",
    "SELECT Name FROM (SELECT * FROM singer WHERE Age IN (20, 30, 40)) AS t ORDER BY length(Name) ASC",
    "SELECT Name\nFROM singer\n  WHERE Age > (SELECT avg(Age) FROM singer)\n  AND coalesce(Country, 'x') != 'France'",
    "SELECT count(DISTINCT Country), sum(Age) FROM singer WHERE Name NOT LIKE 'A%' AND Age IS NOT NULL",
    "SELECT singer.Name FROM singer LEFT JOIN singer_in_concert ON singer.Singer_ID = singer_in_concert.Singer_ID WHERE singer_in_concert.concert_ID IS NULL",
    "SELECT substr(Name, 1, 3), abs(Age - 30), date('now'), NULL FROM singer WHERE Age NOT IN (SELECT Age FROM singer WHERE Country = 'France')",
])
def test_admits_sqlite_features(compiler: GrammarCompiler, query: str) -> None:
    assert grammar_accepts(compiler, sql_grammar(SCHEMA), query), query
    assert extract_sql(query) == query.rstrip(";").strip()  # the agent's extraction takes it whole


@pytest.mark.parametrize("query", [
    "SELECT name FROM singers",  # unknown table
    "SELECT nationality FROM singer",  # unknown column
    "SELECT singer.Year FROM singer",  # a column of another table
    "SELECT Name FROM singer WHERE singer.rating > 3",
    "SELECT T1.hometown FROM singer AS T1",
    "SELECT Name FROM singer ORDER BY popularity DESC",  # an invented name where a result alias could be
    "SELECT Name FROM singer WHERE Country = 'France",  # an unclosed string
    "DROP TABLE singer",
    "SELECT median(Age) FROM singer",  # not a function we admit
    "The query is: SELECT Name FROM singer",
    "SELECT Name FROM singer;\n\nSELECT Age FROM singer",
    "SELECT 1 + 1",  # the first SELECT reads a table
    "SELECT Age + 1 + 1 + 1 + 1 + 1 FROM singer",  # arithmetic chains are bounded (the base model's loop)
    "SELECT Name FROM singer WHERE Age = 1 = 1",  # one comparison per predicate
])
def test_rejects_invented_names_and_non_queries(compiler: GrammarCompiler, query: str) -> None:
    assert not grammar_accepts(compiler, sql_grammar(SCHEMA), query)


def test_prefixes_of_good_queries_are_live(compiler: GrammarCompiler) -> None:
    g = sql_grammar(SCHEMA)
    assert grammar_accepts(compiler, g, "SELECT Name FROM sin", complete=False)
    assert not grammar_accepts(compiler, g, "SELECT Name FROM sin", complete=True)
    assert not grammar_accepts(compiler, g, "SELECT Name FROM x", complete=False)


def test_deterministic_and_needs_tables() -> None:
    assert sql_grammar(SCHEMA) == sql_grammar([t.model_copy() for t in SCHEMA])
    assert sql_grammar(SCHEMA[:1]) != sql_grammar(SCHEMA)
    with pytest.raises(ValueError):
        sql_grammar([])


def test_compiles_on_vllm_backends(synth_dir: Path) -> None:
    """vLLM reads structured_outputs.grammar with xgrammar (GBNF natively) or guidance
    (llguidance after GBNF -> Lark, what our server does): the text must suit both."""
    xgr = pytest.importorskip("xgrammar")
    db = next((synth_dir / "database").iterdir())
    g = sql_grammar(read_schema(db / f"{db.name}.sqlite"))
    assert "::=" in g  # GBNF: vLLM's grammar_is_likely_lark() sends it to from_ebnf, not from_lark
    grammar = xgr.Grammar.from_ebnf(g)
    from xgrammar.testing import _is_grammar_accept_string

    rows = [r for r in json.loads((synth_dir / "train.json").read_text()) if r["db_id"] == db.name][:20]
    assert rows and all(_is_grammar_accept_string(grammar, r["query"]) for r in rows)
    assert not _is_grammar_accept_string(grammar, "SELECT invented_column FROM nowhere")

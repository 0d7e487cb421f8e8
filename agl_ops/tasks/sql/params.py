"""Config models of the text-to-SQL task: its data (Spider folder or the synthetic
generator) and its agent. Composed into params.yaml by :mod:`agl_ops.config`."""

from __future__ import annotations

from pydantic import Field

from agl_ops.section import Section

__all__ = ["AgentParams", "DataParams", "SynthParams"]


class SynthParams(Section):
    seed: int | None = Field(None, description="Seed of the synthetic data (null: the global seed)")
    train_size: int = Field(2000, ge=0, description="Train questions")
    val_size: int = Field(200, ge=0, description="Validation questions")
    test_size: int = Field(200, ge=0, description="Test questions")
    val_databases: int = Field(2, ge=1, description="Databases kept for val only (never seen in train)")
    test_databases: int = Field(2, ge=1, description="Databases kept for test only (never seen in train or val)")
    difficulty_mix: dict[str, float] = Field(
        default_factory=lambda: {"easy": 0.35, "medium": 0.3, "hard": 0.2, "extra": 0.15},
        description="Share of each tier: easy (one-table filters), medium (order/limit, aggregates), hard (GROUP BY/HAVING, joins), extra (nested, join + group)")
    heldout_wording_share: float = Field(0.5, ge=0, le=1, description="Share of test questions phrased with wordings held out of train and val")
    naming_styles: list[str] = Field(
        default_factory=lambda: ["plain", "snake", "camel", "pascal", "title", "rails", "legacy", "flat"], min_length=1,
        description="Naming styles a database's tables and columns are spelled in, one drawn per database: plain (the spec's snake_case), snake (singular/plural, abbreviations), camel (unitPrice), pascal (UnitPrice, CustomerID), title (Unit_Price), rails (plural tables, pk 'id'), legacy (tbl_ prefix, qty/amt), flat (unitprice)")
    handwritten_train: bool = Field(False, description="Add the shipped hand-written train set (5 databases outside the generator's and the realistic set's domains, 160 questions phrased by people) to the train split; val and test stay synthetic")


class DataParams(Section):
    source: str = Field("synth", min_length=1, description="What `agl-ops data prepare` puts in path: 'synth' (generated, data.synth) or a local Spider-format folder (validated, then copied)")
    path: str = Field("data/sql", description="Spider-format folder: tables.json, split files, database/<db_id>/<db_id>.sqlite")
    splits: dict[str, str] = Field(
        default_factory=lambda: {"train": "train.json", "val": "val.json", "test": "test.json"},
        description="Split name -> file (.json or .parquet) in path; real Spider: train_spider.json, dev.json")
    tables_file: str = Field("tables.json", description="Spider schema file in path (optional when database/ is present)")
    database_dir: str = Field("database", description="Folder of the SQLite databases in path")
    realistic_path: str = Field("data/realistic", description="Where `agl-ops data prepare` builds the shipped hand-written dev set (split 'realistic': 4 databases outside the generator's domains, 122 questions); evaluated by baseline_eval and evaluate, never trained or selected on")
    prompt_dev_databases: int = Field(2, ge=0, description="Train databases held out of training (warm start, GRPO) for prompt optimization to score candidates on: the shipped model never saw them, so scores discriminate; val and test are never used for it (split 'prompt_dev'; 0: none)")
    synth: SynthParams = Field(default_factory=SynthParams)


class AgentParams(Section):
    max_turns: int = Field(3, ge=1, description="Queries the SQL agent may write per task (1 write + rewrites)")
    truncate_length: int = Field(1024, ge=64, description="Characters of an execution result or check feedback shown to the model")
    schema_max_chars: int = Field(2000, ge=200, description="Length budget of the schema text in prompts (sample rows are cut first)")
    sample_rows: int = Field(3, ge=0, description="Example rows shown per table")
    schema_linking: bool = Field(True, description="Show the tables most relevant to the question first (word overlap with table/column names and sample values)")
    schema_max_tables: int | None = Field(3, ge=1, description="With schema_linking: show at most this many tables (null: all)")
    schema_min_ratio: float = Field(0.5, ge=0, le=1, description="With schema_linking: drop tables scoring below this share of the best table's relevance")
    max_tokens: int = Field(128, ge=1, description="Max new tokens per model call (unless main_llm's sampling parameters say otherwise); every shipped gold query fits in 121 SmolLM2 tokens (p99 59)")
    exec_timeout_s: float = Field(5.0, gt=0, description="Time limit of one SQL query")
    max_rows: int = Field(10_000, ge=1, description="Rows a query may return before it is an error")
    request_timeout_s: float = Field(120.0, gt=0, description="Time limit of one model call")
    query_stop: list[str] = Field(default_factory=lambda: [";", "\n\n"], max_length=4, description="Stop sequences of the query-writing calls (write, rewrite): the query ends there")
    check_results: bool = Field(False, description="Ask the model whether a query that ran answers the question (the check step) and rewrite when it says no; false: only an execution error triggers a rewrite (one call per task when the query runs)")
    constrained: bool = Field(False, description="Query-writing calls decode under a SQL grammar of the shown tables (structured_outputs.grammar): only those tables and columns, always a parseable SELECT")
    samples: int = Field(1, ge=1, le=16, description="Queries per writing step (write, rewrite): the reply plus samples - 1 sampled alternatives, the one whose execution result most of them share is kept (self-consistency); 1: the reply alone. Evaluation and prompt optimization only: training rollouts always write one")
    sample_temperature: float = Field(0.7, ge=0, le=2, description="Sampling temperature of those alternatives")

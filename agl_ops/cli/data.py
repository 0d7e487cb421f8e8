"""Data commands: make the synthetic Spider-format dataset, check a data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, exits_on, fail, load_cli_params
from agl_ops.pipeline.files import replaced_atomically

data_app = typer.Typer(help="Make and check the text-to-SQL data (Spider format).", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("synth")
def synth_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    out: Annotated[Optional[Path], typer.Option(help="Output folder (default: data.path of params.yaml)")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed (default: data.synth.seed, else the global seed)")] = None,
) -> None:
    """Generate the synthetic Spider-format dataset (deterministic by seed).

    SQLite databases of 23 domains (each spelled in a seeded naming style), graded
    questions with gold SQL, split train/val/test by database; sizes, difficulty mix
    and naming styles from data.synth.
    """
    from collections import Counter

    from rich.table import Table

    from agl_ops.tasks.sql.spider import DIFFICULTIES
    from agl_ops.tasks.sql.synth import generate_dataset

    cfg = load_cli_params(params, overrides)
    synth = cfg.data.synth
    chosen = seed if seed is not None else (synth.seed if synth.seed is not None else cfg.seed)
    target = out or Path(cfg.data.path)
    try:
        with replaced_atomically(target) as partial:
            report = generate_dataset(partial, synth.model_copy(update={"seed": chosen}))
    except (ValueError, RuntimeError) as exc:
        fail(exc)
    table = Table(title=f"synthetic text-to-SQL data in {target} (seed {chosen}, {report.elapsed_s:.2f}s)")
    for col in ("split", "databases", *DIFFICULTIES, "total"):
        table.add_column(col, justify="left" if col in ("split", "databases") else "right")
    for split, counts in report.counts.items():
        table.add_row(split, ", ".join(report.databases[split]), *(str(counts.get(t, 0)) for t in DIFFICULTIES),
                      str(sum(counts.values())))
    console.print(table)
    styles = Counter(style.split(" ", 1)[0] for style in report.naming.values())
    console.print("naming styles (databases): " + ", ".join(f"{k} {v}" for k, v in sorted(styles.items()))
                  + " (manifest.json: per database)")


@data_app.command("prepare")
def prepare_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
) -> None:
    """The pipeline's data stage: data.source 'synth' generates the synthetic data into
    data.path; a folder path is checked (every split loads) and copied into data.path,
    so DVC versions the exact data every later stage used. Either way the shipped
    hand-written dev set (split 'realistic') is built into data.realistic_path."""
    cfg = load_cli_params(params, overrides)
    if cfg.data.source == "synth":
        synth_cmd(params=params, overrides=overrides, out=None, seed=None)
    else:
        _copy_source(cfg)
    from agl_ops.tasks.sql.realistic import build_realistic

    with exits_on(ValueError, OSError):
        out = build_realistic(cfg.data.realistic_path)
    console.print(f"realistic dev set (hand-written, evaluation only) in {out}")


def _copy_source(cfg) -> None:  # noqa: ANN001
    """Check ``data.source`` and copy it into ``data.path`` (hard links where possible):
    every split must load, else the previous data stays. Spider's own release layout
    (train_spider.json, dev.json) gets our split files written beside its own."""
    import json

    from agl_ops.pipeline.files import copy_tree_linked
    from agl_ops.tasks.sql.spider import DataError, SpiderDataset, release_splits

    source, target = Path(cfg.data.source), Path(cfg.data.path)
    if not source.is_dir():
        fail(f"data.source {source} is not a folder (a Spider-format folder, or 'synth')")
    if source.resolve() == target.resolve():
        fail(f"data.source and data.path are the same folder ({source}); point data.path at the project's copy, "
             "e.g. data/sql")
    splits = cfg.data.splits
    with exits_on(DataError):
        layout = release_splits(source) if any(not (source / f).is_file() for f in splits.values()) else None
        with replaced_atomically(target) as partial:
            copy_tree_linked(source, partial)
            for split, rows in (layout or {}).items():
                if split in splits:
                    (partial / splits[split]).write_text(json.dumps(rows, ensure_ascii=False))
            ds = SpiderDataset(partial, splits, cfg.data.tables_file, cfg.data.database_dir)
            counts = {split: len(ds.load(split)) for split in splits}
    how = " (Spider release: train_spider.json -> train, dev.json split by database -> val/test)" if layout else ""
    console.print(f"copied {source} -> {target}{how}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@data_app.command("check")
def check_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    path: Annotated[Optional[Path], typer.Option(help="Spider-format folder (default: data.path)")] = None,
    run_gold: Annotated[bool, typer.Option(help="Also run every gold query (slow on big data)")] = True,
) -> None:
    """Load every split, report sizes per tier, run the gold queries (exit 1 on problems)."""
    from collections import Counter

    from rich.table import Table

    from agl_ops.tasks.sql.execution import execute_sql
    from agl_ops.tasks.sql.spider import DIFFICULTIES, DataError, SpiderDataset

    cfg = load_cli_params(params, overrides)
    root = path or Path(cfg.data.path)
    table = Table(title=f"text-to-SQL data in {root}")
    for col in ("split", "tasks", "databases", *DIFFICULTIES, "gold errors"):
        table.add_column(col, justify="left" if col == "split" else "right")
    problems = 0
    try:
        ds = SpiderDataset(root, cfg.data.splits, cfg.data.tables_file, cfg.data.database_dir)
        for split in cfg.data.splits:
            tasks = ds.load(split)
            tiers = Counter(t.difficulty for t in tasks)
            bad = [t for t in tasks if run_gold and not execute_sql(t.db_path, t.query).ok]
            problems += len(bad)
            for t in bad[:5]:
                console.print(f"[red]{t.id}[/red] gold query fails: {t.query}")
            table.add_row(split, str(len(tasks)), str(len({t.db_id for t in tasks})),
                          *(str(tiers.get(d, 0)) for d in DIFFICULTIES), str(len(bad)) if run_gold else "-")
    except DataError as exc:
        fail(exc, code=1)
    console.print(table)
    if problems:
        raise typer.Exit(1)

"""Registry commands: ``register`` a model as challenger, ``promote`` it through the
gate, list ``models``, and open the MLflow ``ui`` on the project's tracking store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, fail, load_cli_params


def _metrics(metrics_file: Optional[Path], metric: Optional[list[str]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if metrics_file is not None:
        if not metrics_file.is_file():
            raise typer.BadParameter(f"metrics file {metrics_file} does not exist")
        try:
            loaded = json.loads(metrics_file.read_text())
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"{metrics_file} is not valid JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise typer.BadParameter(f"{metrics_file} must hold a JSON object of metrics")
        data.update(loaded)
    for item in metric or []:
        key, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError(item)
            data[key.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(f"--metric {item!r} must look like name=0.42") from None
    return data


def _prompt_versions(text: Optional[str], prefix: str, alias: str) -> dict[str, int]:
    from agl_ops.tracking import prompt_set_versions

    if text:
        try:
            return {str(k): int(v) for k, v in json.loads(text).items()}
        except (json.JSONDecodeError, AttributeError, TypeError, ValueError):
            raise typer.BadParameter(f"--prompt-versions {text!r} must be JSON like '{{\"write\": 3}}'") from None
    return prompt_set_versions(prefix, alias) if alias else {}


@app.command("register")
def register_cmd(
    model_dir: Annotated[Path, typer.Argument(help="Model directory: a PEFT adapter or a full HF model")],
    metrics_file: Annotated[Optional[Path], typer.Option("--metrics", help="JSON metrics file (nested keys join with _)")] = None,
    metric: Annotated[Optional[list[str]], typer.Option("--metric", help="A metric as name=value (repeatable)")] = None,
    base_model: Annotated[Optional[Path], typer.Option(help="Base model of an adapter (default: the adapter's own record)")] = None,
    include_base: Annotated[bool, typer.Option(help="Copy the base model into the logged model (self-contained, large)")] = False,
    reference_only: Annotated[bool, typer.Option(help="Log a full model by reference to its directory (no copy)")] = False,
    prompt_versions: Annotated[Optional[str], typer.Option(help="Prompt set used, as JSON {role: version}")] = None,
    prompt_alias: Annotated[str, typer.Option(help="Without --prompt-versions: link the prompt set at this alias")] = "challenger",
    alias: Annotated[str, typer.Option(help="Alias to point at the new version")] = "challenger",
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
) -> None:
    """Register a model directory (with its metrics and prompt set) as the challenger.

    The model is logged as an MLflow pyfunc in a `register` stage run; an adapter is
    copied (small) and its base model referenced unless --include-base.
    """
    from agl_ops import tracking

    cfg = load_cli_params(params, overrides)
    if not model_dir.is_dir():
        raise typer.BadParameter(f"model directory {model_dir} does not exist")
    values = _metrics(metrics_file, metric)
    tracking.setup_tracking(cfg.tracking)
    versions = _prompt_versions(prompt_versions, cfg.tracking.prompt_name, prompt_alias)
    with tracking.stage_run("register", cfg, tags={"agl.model_dir": str(model_dir)}):
        try:
            info = tracking.register_model(
                model_dir, cfg.tracking.registered_model, metrics=values, prompt_versions=versions,
                prompt_prefix=cfg.tracking.prompt_name, base_model=base_model, include_base=include_base,
                reference_only=reference_only, alias=alias,
            )
        except ValueError as exc:
            fail(exc)
    shown = ", ".join(f"{k}={v:.4f}" for k, v in sorted(info.metrics.items())) or "no metrics"
    console.print(f"registered [bold]{info.name}[/] v{info.version} as [cyan]{alias}[/] ({shown}; "
                  f"prompts {versions or 'none'})")


@app.command("promote")
def promote_cmd(
    version: Annotated[Optional[int], typer.Argument(help="Model version to promote (default: the challenger)")] = None,
    force: Annotated[bool, typer.Option("--force", help="Promote even if it does not beat the champion (logged)")] = False,
    reason: Annotated[Optional[str], typer.Option(help="Why (recorded; expected with --force)")] = None,
    margin: Annotated[Optional[float], typer.Option(help="Required improvement (default: tracking.promotion_margin)")] = None,
    metric: Annotated[Optional[str], typer.Option(help="Metric compared (default: tracking.promotion_metric)")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when refused (--no-strict: a refusal is a normal outcome, exit 0)")] = True,
    out: Annotated[Optional[Path], typer.Option(help="Write the decision here (JSON: outcome, scores, message)")] = None,
    end_pipeline: Annotated[bool, typer.Option(help="Finish the pipeline's parent MLflow run afterwards (last stage)")] = False,
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
) -> None:
    """Make the challenger the champion if it beats it on the test metric by the margin.

    Otherwise refuse with both scores (exit status 1 unless --no-strict); --force promotes
    anyway and is recorded with its --reason on the model version and the run.
    """
    from agl_ops import tracking

    cfg = load_cli_params(params, overrides)
    tc = cfg.tracking
    tracking.setup_tracking(tc)
    with tracking.stage_run("promote", cfg, tags={"agl.promotion.forced": str(force).lower()}):
        try:
            decision = tracking.promote(
                tc.registered_model, version, metric=metric or tc.promotion_metric,
                margin=tc.promotion_margin if margin is None else margin,
                greater_is_better=tc.greater_is_better, force=force, reason=reason,
            )
        except tracking.PromotionError as exc:
            fail(exc)
    color = {"promoted": "green", "unchanged": "cyan"}.get(decision.outcome, "yellow")
    console.print(f"[{color}]{decision.message}[/]")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(decision.model_dump_json(indent=1) + "\n")
    if end_pipeline:
        tracking.end_pipeline_run()
    if decision.outcome == "refused" and strict:
        raise typer.Exit(1)


@app.command("models")
def models_cmd(params: ParamsOption = Path("params.yaml"), overrides: SetOption = None) -> None:
    """List the registered model's versions with aliases, gate metric and prompt set."""
    from rich.table import Table

    from agl_ops import tracking

    cfg = load_cli_params(params, overrides)
    tc = cfg.tracking
    tracking.setup_tracking(tc)
    versions = tracking.client().search_model_versions(f"name='{tc.registered_model}'")
    table = Table(title=f"{tc.registered_model} ({tc.promotion_metric})")
    for col in ("version", "aliases", tc.promotion_metric, "prompts", "kind", "run"):
        table.add_column(col)
    for mv in sorted(versions, key=lambda m: int(m.version), reverse=True):
        info = tracking.get_model_version(tc.registered_model, int(mv.version))
        if info is None:
            continue
        score = info.metrics.get(tc.promotion_metric)
        table.add_row(str(info.version), ", ".join(info.aliases), "-" if score is None else f"{score:.4f}",
                      json.dumps(info.prompt_versions) if info.prompt_versions else "-",
                      info.tags.get("agl.model_kind", "-"), (info.run_id or "-")[:12])
    console.print(table)


@app.command("ui")
def ui_cmd(
    port: Annotated[Optional[int], typer.Option(help="Port (default: tracking.ui_port)")] = None,
    host: Annotated[str, typer.Option(help="Interface; keep 127.0.0.1 unless you add auth in front")] = "127.0.0.1",
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
) -> None:
    """Start the MLflow UI on the project's tracking store and print its URL (Ctrl-C stops it)."""
    from agl_ops.tracking import resolve_backend
    from agl_ops.tracking.ui import start_ui

    cfg = load_cli_params(params, overrides)
    backend = resolve_backend(cfg.tracking)
    if not backend.is_local_sqlite:
        console.print(f"tracking store is {backend.tracking_uri}: open its own UI there")
        return
    port = port or cfg.tracking.ui_port
    console.print(f"starting the MLflow UI on {backend.tracking_uri} ...")
    server = start_ui(backend, host=host, port=port, wait_s=120)
    console.print(f"MLflow UI: [bold link={server.url}]{server.url}[/]  (experiment {backend.experiment}; Ctrl-C stops)")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()

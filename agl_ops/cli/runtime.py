"""Runtime commands: the store server, standalone runners, and generic dev runs."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, fail, load_cli_params

store_app = typer.Typer(help="Run and inspect the rollout store.", no_args_is_help=True)
app.add_typer(store_app, name="store")

TokenEnvOption = Annotated[
    str, typer.Option("--token-env", help="Environment variable holding the bearer token (unset = no auth)")
]


def load_agent(spec: str) -> Any:
    """``module:attribute`` -> a LitAgent instance (a class is instantiated)."""
    from agl_ops.agent import LitAgent

    if ":" not in spec:
        raise typer.BadParameter(f"agent {spec!r} must look like 'package.module:attribute'")
    module_name, attr = spec.split(":", 1)
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise typer.BadParameter(f"cannot load agent {spec!r}: {exc}") from exc
    if isinstance(obj, type):
        obj = obj()
    if not isinstance(obj, LitAgent):
        raise typer.BadParameter(f"{spec!r} is a {type(obj).__name__}, not a LitAgent (use @agl.rollout or subclass LitAgent)")
    return obj


def load_tasks(path: Path) -> list[Any]:
    """Tasks from a .jsonl (one JSON per line) or .json (a list) file."""
    if not path.exists():
        raise typer.BadParameter(f"task file {path} does not exist")
    text = path.read_text()
    if path.suffix == ".jsonl":
        tasks = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    tasks.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise typer.BadParameter(f"{path} line {number} is not valid JSON: {exc}") from exc
        return tasks
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise typer.BadParameter(f"{path} must hold a JSON list of tasks")
    return data


@store_app.command("serve")
def store_serve(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    url: Annotated[Optional[str], typer.Option(help="Backing store URL (default: store.url of params.yaml)")] = None,
    host: Annotated[str, typer.Option(help="Interface to bind; 127.0.0.1 keeps it local")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 4747,
    token_env: TokenEnvOption = "AGL_STORE_TOKEN",
) -> None:
    """Serve a store over HTTP so runners on other processes or machines can use it."""
    import uvicorn

    from agl_ops.store import open_store
    from agl_ops.store.server import create_store_app

    cfg = load_cli_params(params, overrides)
    backing = url or cfg.store.url
    if backing.startswith("http"):
        raise typer.BadParameter("the backing store must be memory, sqlite or postgres, not another HTTP store")
    store = open_store(backing, heartbeat_timeout_s=cfg.store.heartbeat_timeout_s)
    token = os.environ.get(token_env) or None
    from agl_ops.redact import mask_url

    console.print(f"store [bold]{mask_url(backing)}[/] on http://{host}:{port} "
                  f"(auth: {'bearer token' if token else 'none'})")
    uvicorn.run(create_store_app(store, token=token), host=host, port=port, log_level="warning")


@app.command("runner")
def runner_cmd(
    agent: Annotated[str, typer.Option(help="The agent as module:attribute")],
    store: Annotated[str, typer.Option(help="Store URL, e.g. http://host:4747 or sqlite:///.agl/store.db")],
    n: Annotated[int, typer.Option("--n", help="Runner processes to start")] = 1,
    token_env: TokenEnvOption = "AGL_STORE_TOKEN",
    heartbeat_interval_s: Annotated[float, typer.Option(help="Seconds between heartbeats")] = 5.0,
) -> None:
    """Run rollouts from a store until Ctrl-C (scale out: start this on more machines)."""
    import signal
    import threading

    from agl_ops.pool import RunnerPool
    from agl_ops.redact import mask_url
    from agl_ops.store import open_store

    lit_agent = load_agent(agent)
    token = os.environ.get(token_env) or None
    backend = open_store(store, token=token)
    pool = RunnerPool(lit_agent, backend, n_runners=n, backend="process", heartbeat_interval_s=heartbeat_interval_s,
                      store_token=token)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with pool:
        console.print(f"{n} runner(s) on {mask_url(store)}; Ctrl-C to stop")
        stop.wait()
    console.print("runners stopped; their running attempts were re-queued")


@app.command("dev")
def dev_cmd(
    agent: Annotated[Optional[str], typer.Option(help="The agent as module:attribute (default: the text-to-SQL agent on val tasks of params.yaml; the example: agl_ops.examples.arithmetic:arithmetic_agent)")] = None,
    data: Annotated[Optional[Path], typer.Option(help="Tasks as .jsonl or .json list (default: the example's tasks)")] = None,
    llm_endpoint: Annotated[Optional[str], typer.Option(help="OpenAI-compatible endpoint given as resources['main_llm'] (through the tracing proxy)")] = None,
    model_path: Annotated[Optional[Path], typer.Option(help="With --agent: serve this local model for the run (through the tracing proxy), e.g. models/base")] = None,
    model: Annotated[str, typer.Option(help="Model name sent to the endpoint")] = "default",
    limit: Annotated[int, typer.Option(help="Number of tasks to run")] = 10,
    n_runners: Annotated[int, typer.Option(help="Runners in parallel")] = 2,
) -> None:
    """Dry run of any agent on a few tasks: prints rewards, span counts and errors.

    Exits with status 1 if every rollout failed.
    """
    from agl_ops.trainer import Trainer

    if agent is None:  # the project's reference task
        from agl_ops.cli.eval import sql_dev

        sql_dev(endpoint=llm_endpoint, model=None if model == "default" else model, limit=limit, n_runners=n_runners)
        return
    lit_agent = load_agent(agent)
    if data is not None:
        tasks = load_tasks(data)
    else:
        tasks = getattr(importlib.import_module(agent.split(":", 1)[0]), "TASKS", None)
        if tasks is None:
            raise typer.BadParameter("--data is required for an agent module without a TASKS list")
    if llm_endpoint or model_path:
        report = _traced_dev(lit_agent, tasks, llm_endpoint, model_path, model, limit, n_runners)
    else:  # an agent without a model (the arithmetic example)
        report = Trainer(n_runners=n_runners).dev(lit_agent, tasks, limit=limit, console=console)
    if report.all_failed:
        fail("every rollout failed: see the error column", code=1)


def _traced_dev(agent: Any, tasks: list[Any], endpoint: str | None, model_path: Path | None, model: str,
                limit: int, n_runners: int) -> Any:
    """The dry run with the tracing proxy in front of the model (given, or served for the
    run), so the table counts the LLM spans a trainer would get."""
    from agl_ops.llm.client import discover_model
    from agl_ops.llm.endpoint import model_endpoint
    from agl_ops.store import MemoryStore
    from agl_ops.trainer import Trainer

    store = MemoryStore()
    with model_endpoint(model_path, endpoint, store=store) as ep:
        name = model
        if model == "default":
            try:
                name = discover_model(ep.model_url)
            except ConnectionError:
                pass
        console.print(f"{agent.name} with {name} at {ep.model_url} (traced by {ep.url})")
        resources = {"main_llm": ep.llm_resource(name)}
        return Trainer(n_runners=n_runners, initial_resources=resources, store=store).dev(
            agent, tasks, limit=limit, console=console)

"""Model commands: ``model prepare``, ``serve`` (our server or vLLM), ``proxy``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from agl_ops.cli.app import ParamsOption, SetOption, app, console, fail, load_cli_params

model_app = typer.Typer(help="Prepare the base model.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("prepare")
def prepare_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    source: Annotated[Optional[str], typer.Option(help="'packaged' (SmolLM2 GGUF), a .gguf file or a HF model dir (default: model.source)")] = None,
    output: Annotated[Optional[Path], typer.Option(help="Output directory (default: model.path)")] = None,
    force: Annotated[bool, typer.Option(help="Rebuild even if the output already holds a model")] = False,
) -> None:
    """Convert the base model to a safetensors directory that serving and training load."""
    from agl_ops.llm.prepare import ModelSourceError, prepare_model

    cfg = load_cli_params(params, overrides)
    out = output or Path(cfg.model.path)
    try:
        with console.status(f"preparing {out} (the GGUF de-quantises in ~20 s)"):
            result = prepare_model(source or cfg.model.source, out, force=force)
    except ModelSourceError as exc:
        fail(exc)
    if result.source == "existing":
        console.print(f"{out} already holds a model (use --force to rebuild)")
    else:
        console.print(f"[green]prepared[/green] {result.path} from {result.source}: "
                      f"{result.n_params / 1e6:.1f}M parameters in {result.seconds:.1f}s")


@app.command("serve")
def serve_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    model: Annotated[Optional[str], typer.Option(help="Model directory (default: serve.model_path or model.path)")] = None,
    adapter: Annotated[Optional[str], typer.Option(help="LoRA adapter directory to merge in")] = None,
    backend: Annotated[Optional[str], typer.Option(help="hf (transformers, CPU) or vllm (GPUs)")] = None,
    host: Annotated[Optional[str], typer.Option(help="Interface to bind")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port")] = None,
    dtype: Annotated[Optional[str], typer.Option(help="auto, float32 or bfloat16")] = None,
    served_model_name: Annotated[Optional[str], typer.Option(help="Model id reported to clients")] = None,
    threads: Annotated[Optional[int], typer.Option(help="torch CPU threads (default: serve.num_threads)")] = None,
    token_env: Annotated[str, typer.Option(help="Environment variable holding the bearer token (unset = no auth)")] = "AGL_SERVE_TOKEN",
    dry_run: Annotated[bool, typer.Option(help="vllm: print the command instead of running it")] = False,
) -> None:
    """OpenAI-compatible model server with continuous batching, token ids/logprobs and hot reload."""
    cfg = load_cli_params(params, overrides)
    s = cfg.serve
    model_path = model or s.model_path or cfg.model.path
    token = os.environ.get(token_env) or None
    if (backend or s.backend) == "vllm":
        _serve_vllm(cfg, model_path, adapter or s.adapter_path, host or s.host, port or s.port,
                    dtype or s.dtype, served_model_name or s.served_model_name, token, dry_run)
        return
    # before torch loads OpenMP: spin-waiting threads collapse on a shared CPU (10x slower here)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import uvicorn

    from agl_ops.llm.engine import Engine, EngineConfig
    from agl_ops.llm.prepare import ModelSourceError
    from agl_ops.llm.server import create_server_app

    config = EngineConfig(model_path=model_path, adapter_path=adapter or s.adapter_path, dtype=dtype or s.dtype,
                          max_batch_size=s.max_batch_size, max_model_len=s.max_model_len,
                          prefix_cache_tokens=s.prefix_cache_tokens, num_threads=threads or s.num_threads)
    try:
        with console.status(f"loading {model_path}"):
            engine = Engine(config)
    except ModelSourceError as exc:
        fail(exc)
    app_ = create_server_app(engine, served_model_name=served_model_name or s.served_model_name, token=token,
                             default_max_tokens=s.default_max_tokens, tool_prompt=s.tool_prompt)
    bind_host, bind_port = host or s.host, port or s.port
    console.print(f"serving [bold]{model_path}[/] ({str(engine.dtype).removeprefix('torch.')}, version "
                  f"{engine.version}) on http://{bind_host}:{bind_port}/v1 (auth: {'bearer token' if token else 'none'})")
    uvicorn.run(app_, host=bind_host, port=bind_port, log_level="warning")


def _serve_vllm(cfg, model_path: str, adapter: str | None, host: str, port: int, dtype: str,  # noqa: ANN001
                name: str | None, token: str | None, dry_run: bool) -> None:
    from agl_ops.llm.vllm import VllmOptions, vllm_available, vllm_command, vllm_env
    from agl_ops.subprocesses import run_in_group

    opts = VllmOptions(model_path=model_path, host=host, port=port, served_model_name=name,
                       dtype="auto" if dtype == "auto" else dtype, max_model_len=cfg.serve.max_model_len,
                       adapter_path=adapter, gpu_memory_utilization=cfg.serve.gpu_memory_utilization,
                       seed=cfg.seed, api_key=token, extra_args=list(cfg.serve.vllm_args))
    cmd = vllm_command(opts)
    if dry_run:
        console.print(" ".join(cmd))
        return
    if not vllm_available():
        fail("vllm is not installed; `pip install agl-ops[vllm]` on a GPU machine (or use --backend hf)")
    raise typer.Exit(run_in_group(cmd, cwd=".", env={**os.environ, **vllm_env(opts)}).returncode)  # SIGTERM stops vLLM's workers too


@app.command("proxy")
def proxy_cmd(
    params: ParamsOption = Path("params.yaml"),
    overrides: SetOption = None,
    backend_url: Annotated[Optional[str], typer.Option(help="Model server to forward to (default: proxy.backend_url or the serve address)")] = None,
    store: Annotated[Optional[str], typer.Option(help="Store URL spans are written to (default: store.url)")] = None,
    host: Annotated[Optional[str], typer.Option(help="Interface to bind")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port")] = None,
    token_env: Annotated[str, typer.Option(help="Environment variable holding the proxy's bearer token (unset = no auth)")] = "AGL_PROXY_TOKEN",
    backend_token_env: Annotated[str, typer.Option(help="Environment variable holding the backend's API key")] = "AGL_SERVE_TOKEN",
) -> None:
    """Tracing LLM proxy: /rollout/{rid}/attempt/{aid}/v1/... -> backend, one LLM span per call."""
    import uvicorn

    from agl_ops.llm.proxy import LLMProxy
    from agl_ops.redact import mask_url
    from agl_ops.store import open_store

    cfg = load_cli_params(params, overrides)
    p = cfg.proxy
    backend = backend_url or p.backend_url or f"http://{cfg.serve.host}:{cfg.serve.port}"
    store_url = store or cfg.store.url
    token = os.environ.get(token_env) or None
    backing = open_store(store_url)
    proxy = LLMProxy(backend, backing, token=token, backend_api_key=os.environ.get(backend_token_env) or None,
                     timeout_s=p.timeout_s, max_connections=p.max_connections, backend_retry_s=p.backend_retry_s)
    bind_host, bind_port = host or p.host, port or p.port
    console.print(f"LLM proxy on http://{bind_host}:{bind_port} -> {mask_url(backend)}; "
                  f"spans to {mask_url(store_url)} "
                  f"(auth: {'bearer token' if token else 'none'})")
    try:
        uvicorn.run(proxy.app, host=bind_host, port=bind_port, log_level="warning", access_log=False)
    finally:
        proxy.writer.close()
        backing.close()

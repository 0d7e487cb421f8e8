"""One way to get a model endpoint for a stage: use the one given, or start ``agl-ops
serve`` on a local model for the block; optionally with the tracing proxy in front.

Every stage that runs an agent (eval, dev, prompt optimization, training) goes through
:func:`model_endpoint`, so a given endpoint, a model that is missing and the server's
lifetime are handled the same way everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agl_ops.types import LLM

__all__ = ["Endpoint", "model_endpoint"]

logger = logging.getLogger(__name__)


@dataclass
class Endpoint:
    """``model_url``: the model server itself (``/v1/models``, hot reload, the optimizer
    LLM); ``url``: what the agent calls (the proxy's when traced); ``proxy``: the
    tracing proxy, or None."""

    model_url: str
    proxy: Any = None  # agl_ops.llm.proxy.LLMProxy
    started: bool = False  # the server was started for this block (not given)

    @property
    def url(self) -> str:
        return self.proxy.url if self.proxy is not None else self.model_url

    @property
    def proxied(self) -> bool:
        return self.proxy is not None

    def llm_resource(self, model: str, **sampling: Any) -> LLM:
        """``main_llm`` for the agent: per-attempt proxy URLs when traced."""
        if self.proxy is not None:
            return self.proxy.llm_resource(model, **sampling)
        return LLM(endpoint=self.model_url, model=model, proxied=False, sampling_parameters=dict(sampling))


@contextmanager
def model_endpoint(model_path: str | Path | None, endpoint: str | None = None, *, store: Any = None,
                   server_args: Sequence[str] = ()) -> Iterator[Endpoint]:
    """``endpoint`` as given, else a local ``agl-ops serve`` on ``model_path`` started for
    the block and stopped after it (also when the block raises or the process is told to
    stop). With ``store``, the tracing proxy sits in front and records every LLM call as
    a span into it."""
    from agl_ops.llm.client import ModelServerProcess

    if endpoint:
        server: ModelServerProcess | None = None
        model_url = endpoint
    else:
        if model_path is None:
            raise ValueError("no model endpoint and no model path to serve")
        from agl_ops.llm.prepare import check_model_dir

        check_model_dir(model_path)  # a clear error (run `agl-ops model prepare`) before a slow start
        logger.info("starting a local model server on %s", model_path)
        server = ModelServerProcess(model_path, extra_args=list(server_args)).start()
        model_url = server.url
    try:
        if store is None:
            yield Endpoint(model_url, started=server is not None)
        else:
            from agl_ops.llm.proxy import LLMProxy

            with LLMProxy(model_url, store) as proxy:
                yield Endpoint(model_url, proxy, started=server is not None)
    finally:
        if server is not None:
            server.stop()

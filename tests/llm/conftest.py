"""A tiny random model of SmolLM2's architecture (LlamaForCausalLM) with the real
SmolLM2 tokenizer (saved once from the GGUF into tests/fixtures), built offline."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TOKENIZER_DIR = FIXTURES / "smollm2-tokenizer"
REAL_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "base"


def build_tiny_model(path: Path, seed: int = 0) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_DIR)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=2048,
        tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=2, rms_norm_eps=1e-5,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def _one_torch_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tiny models gain nothing from a second thread, and on a shared 2-core machine
    two OpenMP threads stall each other; restored after each test."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama") / "model")


@pytest.fixture(scope="session")
def tiny_model_dir_2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Same architecture, other weights: a 'trained' checkpoint for reload tests."""
    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama-2") / "model", seed=1)


@pytest.fixture
def engine(tiny_model_dir: Path) -> Iterator[object]:
    from agl_ops.llm.engine import Engine, EngineConfig

    eng = Engine(EngineConfig(str(tiny_model_dir), dtype="float32", max_model_len=1024)).start()
    try:
        yield eng
    finally:
        eng.stop()


@pytest.fixture
def model_server(engine: object) -> Iterator[object]:
    from agl_ops.llm.server import create_server_app
    from agl_ops.serving import BackgroundServer

    server = BackgroundServer(create_server_app(engine, served_model_name="tiny", manage_engine=False)).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def copy_model(tmp_path: Path):
    def _copy(src: Path) -> Path:
        dst = tmp_path / f"copy-{src.parent.name}"
        shutil.copytree(src, dst)
        return dst

    return _copy

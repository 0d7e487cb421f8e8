"""One temporary MLflow sqlite store for the whole session (its migration is the slow
part), a fresh experiment and working directory per test so runs do not mix, and a
tiny HF model + LoRA adapter for the registry tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

for _key, _value in {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true",
                     "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "HF_HUB_OFFLINE": "1"}.items():
    os.environ.setdefault(_key, _value)


@pytest.fixture(scope="session")
def mlflow_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Session-wide tracking store; the process's MLflow URIs are restored afterwards."""
    import mlflow

    from agl_ops.tracking import setup_tracking

    root = tmp_path_factory.mktemp("mlflow")
    previous = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    setup_tracking(tracking_uri=f"sqlite:///{root}/mlflow.db", experiment="agl-ops/session", project_dir=root)
    yield root
    mlflow.set_tracking_uri(previous[0])
    mlflow.set_registry_uri(previous[1])


@pytest.fixture
def tracking(mlflow_root: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[object, str]]:
    """(backend, experiment id) of a fresh experiment; cwd is the test's tmp dir so the
    pipeline run file stays there, and the run id variable does not leak."""
    import mlflow

    from agl_ops.tracking import PIPELINE_RUN_ENV, setup_tracking

    monkeypatch.delenv(PIPELINE_RUN_ENV, raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    backend, experiment_id = setup_tracking(tracking_uri=f"sqlite:///{mlflow_root}/mlflow.db",
                                            experiment=f"test/{uuid.uuid4().hex[:8]}", project_dir=mlflow_root)
    yield backend, experiment_id
    while mlflow.active_run() is not None:
        mlflow.end_run()


@pytest.fixture
def unique() -> str:
    """A short unique suffix for registry names (the session store is shared)."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def stub_model(tmp_path: Path) -> Path:
    """A directory that passes for a full model when only referenced (never loaded)."""
    path = tmp_path / "model"
    path.mkdir()
    (path / "config.json").write_text('{"model_type": "llama"}')
    return path


def _tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = "select from where count name table users orders id the a of how many".split()
    vocab = {"<pad>": 0, "<eos>": 1, "<unk>": 2, **{w: i + 3 for i, w in enumerate(words)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<pad>", unk_token="<unk>")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(base model dir, LoRA adapter dir): a 2-layer Llama with a 17-word vocabulary."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    root = tmp_path_factory.mktemp("tiny")
    base, adapter = root / "base", root / "adapter"
    tokenizer = _tiny_tokenizer()
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=256,
                         bos_token_id=1, eos_token_id=1, pad_token_id=0)
    model = LlamaForCausalLM(config)
    model.save_pretrained(base)
    tokenizer.save_pretrained(base)
    get_peft_model(model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(adapter)
    return base, adapter

"""Model preparation: a local HF directory or the packaged GGUF -> models/base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agl_ops.llm.prepare import ModelSourceError, check_model_dir, find_packaged_gguf, prepare_model


def test_clear_errors_for_missing_or_bad_dirs(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match="does not exist.*agl-ops model prepare"):
        check_model_dir(tmp_path / "nope")
    with pytest.raises(ModelSourceError, match="no config.json"):
        check_model_dir(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ModelSourceError, match="no weights"):
        check_model_dir(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(ModelSourceError, match="no tokenizer"):
        check_model_dir(tmp_path)


def test_prepare_from_local_dir_reloads_without_gguf(tiny_model_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = prepare_model(tiny_model_dir, tmp_path / "base")
    assert check_model_dir(result.path) == tmp_path / "base"
    model = AutoModelForCausalLM.from_pretrained(result.path)
    tok = AutoTokenizer.from_pretrained(result.path)
    assert model.config.model_type == "llama" and tok.chat_template
    again = prepare_model(tiny_model_dir, tmp_path / "base")  # existing output is kept
    assert again.source == "existing"


def test_packaged_gguf_is_found() -> None:
    try:
        path = find_packaged_gguf()
    except ModelSourceError as exc:
        pytest.skip(str(exc))
    assert path.name.endswith(".gguf") and path.stat().st_size > 50_000_000
    with pytest.raises(ModelSourceError, match="not installed"):
        find_packaged_gguf("no_such_package_xyz")


@pytest.mark.slow
def test_prepare_real_smollm2_from_gguf(tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    result = prepare_model(None, tmp_path / "base")
    assert 130e6 < result.n_params < 140e6
    tok = AutoTokenizer.from_pretrained(result.path)
    assert tok.eos_token == "<|im_end|>"  # fixed from the GGUF's own ids
    model = AutoModelForCausalLM.from_pretrained(result.path)
    ids = tok.apply_chat_template([{"role": "user", "content": "What is the capital of France?"}],
                                  add_generation_prompt=True, return_tensors="pt", return_dict=True)
    out = model.generate(**ids, max_new_tokens=12, do_sample=False)
    assert "Paris" in tok.decode(out[0, ids["input_ids"].shape[1]:])

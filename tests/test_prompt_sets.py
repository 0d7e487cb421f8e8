"""Prompt set files: one reader, one strictness, for training, evaluation and the pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agl_ops.prompt_sets import PromptSetError, read_prompt_set, write_prompt_set


def test_read_prompt_set_keeps_prompts_and_leaves_other_resources_out(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"write_prompt": {"resource_type": "prompt_template", "template": "W {question}"},
                                                 "main_llm": {"resource_type": "llm", "endpoint": "x", "model": "m"},
                                                 "check_prompt": "C {query}"}))
    out = read_prompt_set(tmp_path / "a.json")
    assert sorted(out) == ["check_prompt", "write_prompt"] and out["write_prompt"].template == "W {question}"


def test_written_sets_read_back_with_their_info(tmp_path: Path) -> None:
    path = write_prompt_set(tmp_path / "out" / "best.json", {"write_prompt": "Q: {question}"}, algorithm="apo")
    assert read_prompt_set(path)["write_prompt"].template == "Q: {question}"
    assert json.loads(path.read_text())["algorithm"] == "apo"


@pytest.mark.parametrize(("content", "match"), [
    (None, "does not exist"),
    ("{not json", "not readable JSON"),
    ("[1, 2]", "must hold a mapping"),
    (json.dumps({"resources": {"write_prompt": 3}}), "'write_prompt' is a int, not a template"),
    (json.dumps({"resources": {"write_prompt": {"resource_type": "prompt_template"}}}), "'write_prompt' is not a prompt template"),
    (json.dumps({"resources": {"main_llm": {"resource_type": "llm", "endpoint": "x", "model": "m"}}}), "holds no prompt templates"),
])
def test_bad_prompt_sets_fail_with_the_file_and_entry(tmp_path: Path, content: str | None, match: str) -> None:
    path = tmp_path / "p.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PromptSetError, match=match):
        read_prompt_set(path)


def test_agent_settings_travel_with_the_prompts(tmp_path: Path) -> None:
    from agl_ops.types import SETTINGS_RESOURCE, Settings

    path = write_prompt_set(tmp_path / "best.json", {"write_prompt": "Q: {question}"},
                            settings={"few_shot": 2, "constrained": True})
    loaded = read_prompt_set(path)
    assert isinstance(loaded[SETTINGS_RESOURCE], Settings)
    assert loaded[SETTINGS_RESOURCE].values == {"few_shot": 2, "constrained": True}
    assert SETTINGS_RESOURCE not in read_prompt_set(write_prompt_set(tmp_path / "plain.json", {"w": "Q: {question}"}))

"""Params -> SQL task objects: the prompt set an evaluation runs with."""

from __future__ import annotations

import json
from pathlib import Path

from agl_ops.config import Params
from agl_ops.tasks.sql.prompts import default_prompts
from agl_ops.tasks.sql.wiring import resources_from_params


def test_eval_prompts_file_overrides_the_shipped_prompts(tmp_path: Path) -> None:
    best = tmp_path / "best.json"
    best.write_text(json.dumps({"resources": {"write_prompt": {"resource_type": "prompt_template",
                                                               "template": "{schema_no_rows}\nQ: {question}"}}}))
    cfg = Params().model_copy(update={"eval": Params().eval.model_copy(update={"prompts": str(best)})})
    res = resources_from_params(cfg, "http://127.0.0.1:1", model="m")
    assert res["write_prompt"].template == "{schema_no_rows}\nQ: {question}"
    assert res["check_prompt"].template == default_prompts()["check_prompt"].template
    missing = cfg.model_copy(update={"eval": cfg.eval.model_copy(update={"prompts": str(tmp_path / "none.json")})})
    assert resources_from_params(missing, "http://127.0.0.1:1", model="m")["write_prompt"].template == \
        default_prompts()["write_prompt"].template  # no file yet (no prompt optimization run): shipped prompts

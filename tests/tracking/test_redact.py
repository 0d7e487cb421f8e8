"""No password, bearer token or API key reaches MLflow params or tags."""

from __future__ import annotations

from agl_ops.config import load_params
from agl_ops.redact import MASK, mask_url, redact, redact_values
from agl_ops.tracking import client, flatten_params, stage_run

STORE_TOKEN = "store-tok-9f8e7d6c"
PROXY_TOKEN = "proxy-tok-1a2b3c4d"
API_KEY = "sk-live-0123456789abcdef"
DB_PASSWORD = "pg-Pa55word"


def test_redact_rules():
    secrets = [STORE_TOKEN, API_KEY]
    assert redact("train.verl.config.actor.api_key", "abc123", secrets) == MASK
    assert redact("x.password", "hunter2", secrets) == MASK
    assert redact("serve.token", "null", secrets) == "null"  # nothing to hide
    assert redact("store.url", f"postgresql+psycopg://agl:{DB_PASSWORD}@db:5432/agl", secrets) == \
        f"postgresql+psycopg://agl:{MASK}@db:5432/agl"
    assert redact("optimizer.endpoint", f"http://h/v1?key={API_KEY}", secrets) == f"http://h/v1?key={MASK}"
    assert mask_url(f"postgresql+psycopg://agl:{DB_PASSWORD}@db/agl") == f"postgresql+psycopg://agl:{MASK}@db/agl"
    assert mask_url("http://127.0.0.1:4747") == "http://127.0.0.1:4747"
    # ordinary values and keys that only look alike stay as they are
    for key, value in [("agent.max_tokens", "256"), ("optimizer.api_key_env", "AGL_OPTIMIZER_API_KEY"),
                       ("store.url", "sqlite:///.agl/store.db"), ("tracking.tracking_uri", "http://mlflow:5000"),
                       ("serve.prefix_cache_tokens", "16384"), ("note", "user@example.com")]:
        assert redact(key, value, secrets) == value


def test_run_params_and_tags_carry_no_secret(tracking, monkeypatch):
    monkeypatch.setenv("AGL_STORE_TOKEN", STORE_TOKEN)
    monkeypatch.setenv("AGL_PROXY_TOKEN", PROXY_TOKEN)
    monkeypatch.setenv("AGL_OPTIMIZER_API_KEY", API_KEY)
    params = load_params(None, [f"store.url=postgresql+psycopg://agl:{DB_PASSWORD}@db:5432/agl",
                                f"tracking.tracking_uri=http://me:{DB_PASSWORD}@mlflow:5000"])
    params.train.verl.config = {"actor_rollout_ref": {"rollout": {"api_key": API_KEY}},
                                "trainer": {"nnodes": 2, "note": f"token {PROXY_TOKEN}"}}
    flat = flatten_params(params)
    assert flat["train.verl.config.trainer.nnodes"] == "2"
    with stage_run("train", params, tags={"agl.endpoint": f"http://h/?t={STORE_TOKEN}"}) as run:
        pass
    c = client()
    for run_id in (run.run_id, run.parent_run_id):
        data = c.get_run(run_id).data
        logged = " ".join(f"{k}={v}" for k, v in {**data.params, **data.tags}.items())
        for secret in (STORE_TOKEN, PROXY_TOKEN, API_KEY, DB_PASSWORD):
            assert secret not in logged, f"{secret} reached MLflow"
    data = c.get_run(run.run_id).data
    assert data.params["store.url"] == f"postgresql+psycopg://agl:{MASK}@db:5432/agl"
    assert data.params["train.verl.config.trainer.nnodes"] == "2"
    assert data.params["runner.n_runners"] == "2"  # the rest is untouched
    assert redact_values({"a": "plain"}) == {"a": "plain"}

"""The MLOps pipeline around the agent: evaluation stages, the DVC run behind
``agl-ops run`` and the summary it prints (Prefect flows live in flows/)."""

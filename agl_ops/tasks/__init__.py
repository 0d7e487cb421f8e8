"""Tasks shipped with agl-ops: each is data + an agent + a reward, ready to optimize."""

__all__: list[str] = []

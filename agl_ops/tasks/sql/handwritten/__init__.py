"""A hand-written Spider-format train set: five databases in domains neither the
generator nor the realistic dev set uses (coffee roastery, volunteer network, parking
enforcement, chess club, greenhouse sensors), each spelled in its own naming style
(legacy abbreviations, snake_case, PascalCase, camelCase), 160 questions phrased the
way people ask, easy/medium/hard about a third each.

Why: the synthetic questions all come from the generator's templates, so a warm start
on them alone learns the template-to-SQL mapping. ``data.synth.handwritten_train``
adds these to the synthetic train split (never to val, test or realistic).
"""

from __future__ import annotations

from agl_ops.tasks.sql.packaged import PackagedSet

__all__ = ["HANDWRITTEN", "HANDWRITTEN_DB_IDS"]

HANDWRITTEN_DB_IDS = ("coffee_roastery", "volunteer_network", "parking_enforcement", "chess_club", "greenhouse_sensors")
HANDWRITTEN = PackagedSet(__name__, HANDWRITTEN_DB_IDS, "train.json")

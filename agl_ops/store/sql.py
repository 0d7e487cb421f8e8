"""SQL store over SQLAlchemy Core: SQLite by default (one WAL file), Postgres by URL.

SQLite specifics, chosen for speed without giving up safety across processes:
- WAL journal with ``synchronous=NORMAL``: a committed write survives a killed process
  (not a power cut; pass ``durability="full"`` for that);
- write transactions start with ``BEGIN IMMEDIATE`` so two processes never deadlock
  upgrading a read lock, while reads stay concurrent.
Postgres uses ``SELECT ... FOR UPDATE SKIP LOCKED`` for the claim, the same code path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine

from agl_ops.store.base import (
    DEFAULT_HEARTBEAT_TIMEOUT_S,
    LATEST,
    Clock,
    StoreError,
    UnknownIdError,
    attempt_is_stale,
    finish_transition,
    monotonic_deadline,
    new_rollouts,
    start_attempt,
)
from agl_ops.types import (
    Attempt,
    AttemptedRollout,
    AttemptStatus,
    Resource,
    ResourcesUpdate,
    Rollout,
    RolloutMode,
    RolloutStatus,
    Span,
    new_id,
)

__all__ = ["SqlStore", "SqliteStore"]

metadata = MetaData()

rollouts_t = Table(
    "rollouts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("rollout_id", String(40), unique=True, nullable=False),
    Column("status", String(16), nullable=False),
    Column("mode", String(8)),
    Column("resources_id", String(80)),
    Column("created_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("attempt_count", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("timeout_s", Float),
    Column("reward", Float),
    Column("error", Text),
    Column("input", Text, nullable=False),
    Column("metadata", Text, nullable=False),
    Index("ix_rollouts_status_seq", "status", "seq"),
)

attempts_t = Table(
    "attempts",
    metadata,
    Column("attempt_id", String(40), primary_key=True),
    Column("rollout_id", String(40), nullable=False, index=True),
    Column("sequence_id", Integer, nullable=False),
    Column("worker_id", String(120)),
    Column("status", String(16), nullable=False, index=True),
    Column("start_time", Float, nullable=False),
    Column("end_time", Float),
    Column("last_heartbeat", Float, nullable=False),
    Column("error", Text),
)

spans_t = Table(
    "spans",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("rollout_id", String(40), nullable=False),
    Column("attempt_id", String(40), nullable=False),
    Column("span_id", String(40), nullable=False, unique=True),
    Column("sequence_id", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_spans_rollout_seq", "rollout_id", "sequence_id"),
)

resources_t = Table(
    "resources",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("resources_id", String(80), unique=True, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("data", Text, nullable=False),
)

_ROLLOUT_COLS = [c.name for c in rollouts_t.columns if c.name != "seq"]
_ATTEMPT_COLS = [c.name for c in attempts_t.columns]
_REAP_EVERY_S = 1.0  # wait_for_rollouts reaps dead attempts at most this often


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _rollout_row(r: Rollout) -> dict[str, Any]:
    row = r.model_dump(mode="json", exclude={"input", "metadata"})
    row["input"] = _dumps(r.input)
    row["metadata"] = _dumps(r.metadata)
    return row


def _rollout_from(row: Any) -> Rollout:
    m = row._mapping
    data = {k: m[k] for k in _ROLLOUT_COLS}
    data["input"] = orjson.loads(m["input"])
    data["metadata"] = orjson.loads(m["metadata"])
    return Rollout.model_validate(data)


def _attempt_from(row: Any) -> Attempt:
    return Attempt.model_validate(dict(row._mapping))


class SqlStore:
    """Store on any SQLAlchemy URL (``sqlite:///path.db``, ``postgresql+psycopg://...``)."""

    def __init__(
        self,
        url: str,
        *,
        heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S,
        clock: Clock = time.time,
        durability: Literal["normal", "full"] = "normal",
        poll_interval_s: float = 0.05,
    ) -> None:
        self.url = url
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self._clock = clock
        self._poll_interval_s = poll_interval_s
        self._last_reap = 0.0
        self._is_sqlite = url.startswith("sqlite")
        self.engine = self._make_engine(url, durability)
        # connections from this engine begin write transactions (BEGIN IMMEDIATE on sqlite)
        self._writer = self.engine.execution_options(agl_write=True)
        metadata.create_all(self.engine)
        # a span re-sent after a lost reply must not be stored twice
        self._insert_spans = _insert_ignoring_duplicates(self.engine.dialect.name, spans_t, "span_id")

    def _make_engine(self, url: str, durability: str) -> Engine:
        if not self._is_sqlite:
            return create_engine(url, pool_pre_ping=True)
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # a small pool with small page caches keeps a long-lived server's memory flat
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 60}, pool_size=4, max_overflow=4
        )
        sync = "FULL" if durability == "full" else "NORMAL"

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={sync}")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.execute("PRAGMA cache_size=-1024")  # KiB per connection
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("agl_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    # -- rollouts -------------------------------------------------------------------
    def enqueue_rollouts(
        self,
        inputs: Sequence[Any],
        *,
        mode: RolloutMode | None = None,
        resources_id: str | None = None,
        max_attempts: int = 1,
        timeout_s: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> list[Rollout]:
        rollouts = new_rollouts(
            inputs, self._clock(), mode=mode, resources_id=resources_id, max_attempts=max_attempts,
            timeout_s=timeout_s, metadata=metadata,
        )
        if rollouts:
            with self._write() as conn:
                conn.execute(insert(rollouts_t), [_rollout_row(r) for r in rollouts])
        return rollouts

    def claim_rollout(self, worker_id: str) -> AttemptedRollout | None:
        with self._write() as conn:
            self._reap(conn)
            row = conn.execute(
                select(rollouts_t)
                .where(rollouts_t.c.status == RolloutStatus.QUEUING.value)
                .order_by(rollouts_t.c.seq)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            rollout, attempt = start_attempt(_rollout_from(row), worker_id, self._clock())
            conn.execute(
                update(rollouts_t)
                .where(rollouts_t.c.rollout_id == rollout.rollout_id)
                .values(status=rollout.status.value, attempt_count=rollout.attempt_count)
            )
            conn.execute(insert(attempts_t), [attempt.model_dump(mode="json")])
        return AttemptedRollout(rollout=rollout, attempt=attempt)

    def heartbeat(self, attempt_id: str) -> bool:
        with self._write() as conn:
            n = conn.execute(
                update(attempts_t)
                .where(attempts_t.c.attempt_id == attempt_id)
                .where(attempts_t.c.status == AttemptStatus.RUNNING.value)
                .values(last_heartbeat=self._clock())
            ).rowcount
            if n == 0:
                self._attempt(conn, attempt_id)  # raises for an unknown id
            return n == 1

    def finish_attempt(
        self,
        attempt_id: str,
        status: AttemptStatus,
        *,
        reward: float | None = None,
        error: str | None = None,
    ) -> Rollout | None:
        with self._write() as conn:
            attempt = self._attempt(conn, attempt_id, lock=True)
            if attempt.status is not AttemptStatus.RUNNING:
                return None
            return self._finish(conn, attempt, status, reward, error)

    def _finish(
        self,
        conn: Connection,
        attempt: Attempt,
        status: AttemptStatus,
        reward: float | None,
        error: str | None,
    ) -> Rollout:
        row = conn.execute(
            select(rollouts_t).where(rollouts_t.c.rollout_id == attempt.rollout_id).with_for_update()
        ).one()
        rollout, attempt = finish_transition(
            _rollout_from(row), attempt, status, reward, error, self._clock()
        )
        conn.execute(
            update(attempts_t)
            .where(attempts_t.c.attempt_id == attempt.attempt_id)
            .values(status=attempt.status.value, end_time=attempt.end_time, error=attempt.error)
        )
        conn.execute(
            update(rollouts_t)
            .where(rollouts_t.c.rollout_id == rollout.rollout_id)
            .values(
                status=rollout.status.value,
                reward=rollout.reward,
                error=rollout.error,
                finished_at=rollout.finished_at,
            )
        )
        return rollout

    def _reap(self, conn: Connection) -> None:
        """Time out running attempts whose runner stopped heartbeating (or overran)."""
        now = self._clock()
        self._last_reap = now
        hb = self.heartbeat_timeout_s
        rows = conn.execute(
            select(attempts_t, rollouts_t.c.timeout_s)
            .join(rollouts_t, rollouts_t.c.rollout_id == attempts_t.c.rollout_id)
            .where(attempts_t.c.status == AttemptStatus.RUNNING.value)
            .where(
                or_(
                    attempts_t.c.last_heartbeat < now - hb,
                    attempts_t.c.start_time + rollouts_t.c.timeout_s < now - hb,
                )
            )
            .with_for_update(skip_locked=True, of=attempts_t)
        ).all()
        for row in rows:
            attempt = Attempt.model_validate({k: row._mapping[k] for k in _ATTEMPT_COLS})
            if attempt_is_stale(attempt, row._mapping["timeout_s"], now, hb):
                self._finish(conn, attempt, AttemptStatus.TIMEOUT, None, "attempt timed out")

    def _attempt(self, conn: Connection, attempt_id: str, *, lock: bool = False) -> Attempt:
        query = select(attempts_t).where(attempts_t.c.attempt_id == attempt_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise UnknownIdError(f"unknown attempt_id {attempt_id!r}")
        return _attempt_from(row)

    # -- spans ----------------------------------------------------------------------
    def add_spans(self, spans: Sequence[Span]) -> int:
        if not spans:
            return 0
        rows = [
            {
                "rollout_id": s.rollout_id,
                "attempt_id": s.attempt_id,
                "span_id": s.span_id,
                "sequence_id": s.sequence_id,
                "data": s.model_dump_json(),
            }
            for s in spans
        ]
        with self._write() as conn:
            conn.execute(self._insert_spans, rows)
        return len(rows)

    def query_spans(self, rollout_id: str, attempt_id: str | None = None) -> list[Span]:
        query = select(spans_t.c.data).where(spans_t.c.rollout_id == rollout_id)
        with self._read() as conn:
            if attempt_id == LATEST:
                attempt_id = conn.execute(
                    select(attempts_t.c.attempt_id)
                    .where(attempts_t.c.rollout_id == rollout_id)
                    .order_by(attempts_t.c.sequence_id.desc())
                    .limit(1)
                ).scalar()
                if attempt_id is None:
                    return []
            if attempt_id is not None:
                query = query.where(spans_t.c.attempt_id == attempt_id)
            rows = conn.execute(query.order_by(spans_t.c.sequence_id, spans_t.c.seq)).scalars()
            return [Span.model_validate_json(d) for d in rows]

    # -- resources ------------------------------------------------------------------
    def add_resources(
        self, resources: Mapping[str, Resource], resources_id: str | None = None
    ) -> ResourcesUpdate:
        rid = resources_id or new_id("rs")
        created = self._clock()
        payload = ResourcesUpdate(resources_id=rid, version=0, created_at=created, resources=dict(resources))
        data = _dumps(payload.model_dump(mode="json")["resources"])
        with self._write() as conn:
            exists = conn.execute(
                select(resources_t.c.version).where(resources_t.c.resources_id == rid)
            ).first()
            if exists is not None:
                raise StoreError(f"resources_id {rid!r} already exists; resources are immutable")
            version = conn.execute(
                insert(resources_t).values(resources_id=rid, created_at=created, data=data)
            ).inserted_primary_key[0]
        return payload.model_copy(update={"version": int(version)})

    def get_resources(self, resources_id: str | None = None) -> ResourcesUpdate | None:
        query = select(resources_t)
        if resources_id is None:
            query = query.order_by(resources_t.c.version.desc()).limit(1)
        else:
            query = query.where(resources_t.c.resources_id == resources_id)
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            if resources_id is not None:
                raise UnknownIdError(f"unknown resources_id {resources_id!r}")
            return None
        m = row._mapping
        return ResourcesUpdate.model_validate(
            {
                "resources_id": m["resources_id"],
                "version": m["version"],
                "created_at": m["created_at"],
                "resources": orjson.loads(m["data"]),
            }
        )

    # -- queries --------------------------------------------------------------------
    def query_rollouts(
        self,
        *,
        rollout_ids: Sequence[str] | None = None,
        status: Sequence[RolloutStatus] | None = None,
        mode: RolloutMode | None = None,
    ) -> list[Rollout]:
        query = select(rollouts_t).order_by(rollouts_t.c.seq)
        if rollout_ids is not None:
            query = query.where(rollouts_t.c.rollout_id.in_(list(rollout_ids)))
        if status is not None:
            query = query.where(rollouts_t.c.status.in_([RolloutStatus(s).value for s in status]))
        if mode is not None:
            query = query.where(rollouts_t.c.mode == mode)
        with self._read() as conn:
            return [_rollout_from(r) for r in conn.execute(query)]

    def query_attempts(self, rollout_id: str) -> list[Attempt]:
        with self._read() as conn:
            rows = conn.execute(
                select(attempts_t)
                .where(attempts_t.c.rollout_id == rollout_id)
                .order_by(attempts_t.c.sequence_id)
            )
            return [_attempt_from(r) for r in rows]

    def wait_for_rollouts(
        self, rollout_ids: Sequence[str], timeout_s: float | None = None
    ) -> list[Rollout]:
        deadline = monotonic_deadline(timeout_s)
        ids = list(dict.fromkeys(rollout_ids))
        finished = [RolloutStatus.SUCCEEDED.value, RolloutStatus.FAILED.value]
        interval = self._poll_interval_s
        while True:
            if self._clock() - self._last_reap >= _REAP_EVERY_S:
                with self._write() as conn:
                    self._reap(conn)
            with self._read() as conn:
                n_done = 0
                for chunk in _chunks(ids, 500):
                    n_done += conn.execute(
                        select(func.count())
                        .select_from(rollouts_t)
                        .where(rollouts_t.c.rollout_id.in_(chunk))
                        .where(rollouts_t.c.status.in_(finished))
                    ).scalar_one()
            timed_out = deadline is not None and time.monotonic() >= deadline
            if n_done == len(ids) or timed_out:
                return self.query_rollouts(
                    rollout_ids=ids, status=[RolloutStatus.SUCCEEDED, RolloutStatus.FAILED]
                )
            time.sleep(interval)
            interval = min(interval * 1.5, 0.5)

    def close(self) -> None:
        self.engine.dispose()


def _insert_ignoring_duplicates(dialect: str, table: Table, key: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        raise StoreError(f"unsupported database {dialect!r}: use sqlite or postgresql")
    return dialect_insert(table).on_conflict_do_nothing(index_elements=[key])


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SqliteStore(SqlStore):
    """The default store: one SQLite file in WAL mode."""

    def __init__(self, path: str | Path, **kwargs: Any) -> None:
        self.path = Path(path)
        super().__init__(f"sqlite:///{self.path}", **kwargs)

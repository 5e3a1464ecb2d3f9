"""Migrations produce exactly the models, on SQLite and on PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from store.database import make_engine
from store.migrate import current_revision, head_revision, is_at_head, upgrade
from store.models import Base
from tests.conftest import _postgres_available, drop_postgres_schema, fresh_postgres_engine


def _assert_no_pending_diff(engine):
    upgrade(engine)
    assert is_at_head(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)


def test_sqlite_migrations_match_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert current_revision(engine) is None
    _assert_no_pending_diff(engine)
    assert current_revision(engine) == head_revision(engine)


@pytest.mark.postgres
def test_postgres_migrations_match_models():
    if not _postgres_available():
        pytest.skip("PostgreSQL not reachable")
    engine, schema = fresh_postgres_engine()
    try:
        _assert_no_pending_diff(engine)
    finally:
        drop_postgres_schema(engine, schema)


def test_upgrade_twice_is_harmless(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.db'}")
    upgrade(engine)
    upgrade(engine)
    assert is_at_head(engine)

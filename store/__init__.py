"""Persistence: SQLAlchemy models, repositories for the core's ports, Alembic migrations."""

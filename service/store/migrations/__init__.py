"""Alembic migrations for the service's schema (applied at start by `service.store.db.migrate`)."""

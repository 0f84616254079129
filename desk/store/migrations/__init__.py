"""Alembic migrations of the desk database (`desk db upgrade`)."""

"""Durable storage: the only package that talks SQL. Tables, migrations, repository, unit of work."""

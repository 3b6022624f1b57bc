"""A small PostgreSQL-backed job queue: keyed jobs with a due time, run exactly once by any worker.

Why not procrastinate: see the README ("Scheduled jobs"). In short, it brings psycopg 3 beside asyncpg,
a schema managed by its own migrator, and a worker model built around long-held locks; this queue is
one table in our forward-only migrations and the same asyncpg pool.
"""

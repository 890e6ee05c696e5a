"""Alembic's environment for the results store: storage.results.migrate runs it on the store's own
connection (config.attributes["connection"]), so every dialect the store opens is migrated alike."""

from alembic import context

from storage import results

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=results.METADATA, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

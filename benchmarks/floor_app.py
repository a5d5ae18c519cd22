"""The second baseline of ``benchmarks/page_speed.py``: the least a form submission costs.

The bare app (``bare_app.py``) answers ``Hello``: it measures Flask and gunicorn alone. A report
submission cannot cost that little, whatever the portal does, because the stack it must use has
its own price for a form that is checked and stored. This app pays that price and nothing else:

- Flask-WTF's form with its CSRF token, checked against the session cookie;
- four fields (description, date, postal code, consent) and the hidden submission key;
- one row inserted with Flask-SQLAlchemy into SQLite, with the portal's SQLite settings (WAL,
  ``BEGIN IMMEDIATE``, busy timeout: ``portal.db.configure_sqlite``), and committed;
- a 303 to a confirmation URL, like the portal.

No categories, routing, e-mails, translations, security headers or rate limits: whatever the
portal's submission costs above this app is the portal's own work. The database is
``floor.sqlite3`` in ``PORTAL_INSTANCE_PATH`` (the benchmark's throwaway folder).
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime

from flask import Flask, redirect, render_template_string
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.db import Base, configure_sqlite, utcnow

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("PORTAL_SECRET_KEY") or secrets.token_urlsafe(48)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(
    os.environ.get("PORTAL_INSTANCE_PATH", "instance"), "floor.sqlite3")
db = SQLAlchemy(app, model_class=Base)


class Submission(db.Model):  # type: ignore[name-defined]
    __tablename__ = "submission"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[str] = mapped_column(String(10))
    postal_code: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime]


class SubmissionForm(FlaskForm):
    description = TextAreaField(validators=[InputRequired(), Length(max=4000)])
    occurred_on = DateField(validators=[InputRequired()])
    postal_code = StringField(validators=[InputRequired(), Length(min=4, max=4)])
    consent = BooleanField(validators=[InputRequired()])
    submission_key = HiddenField()
    shown_at = HiddenField()  # sent by the benchmark as to the portal; not checked here


with app.app_context():
    configure_sqlite(db.engine)
    db.create_all()

_PAGE = """<form method="post">{{ form.csrf_token }}
<input type="hidden" name="shown_at" value="0">
<input type="hidden" name="submission_key" value="{{ key }}">
{{ form.description }} {{ form.occurred_on }} {{ form.postal_code }} {{ form.consent }}
</form>"""


@app.route("/", methods=["GET", "POST"])
def submit() -> Response | tuple[str, int]:
    form = SubmissionForm()
    if form.validate_on_submit():
        row = Submission(reference=secrets.token_hex(5), submission_key=form.submission_key.data,
                         description=form.description.data, postal_code=form.postal_code.data,
                         occurred_on=form.occurred_on.data.isoformat(), created_at=utcnow())
        db.session.add(row)
        db.session.flush()
        reference = row.reference
        db.session.commit()
        return redirect(f"/done/{reference}", code=303)
    status = 422 if form.is_submitted() else 200
    return render_template_string(_PAGE, form=form, key=secrets.token_urlsafe(18)), status

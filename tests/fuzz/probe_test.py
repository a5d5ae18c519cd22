from tests.reports.helpers import post_report, open_form, report_data
from tests.courses.helpers import make_session, post_sign_up


def test_probe(app, client):
    out = []
    for path in ["/fr/courses/99999999999999999999999", "/fr/courses/9223372036854775808",
                 "/fr/report/new/a%00b", "/fr/track/a%00b", "/fr/manage/password/reset/a%00b",
                 "/fr/courses/booking/a%00b", "/open311/v2/requests/a%00b.json",
                 "/open311/v2/services/a%00b.json", "/fr/report/new/%FF%FE",
                 "/open311/v2/requests.json?service_code=a%00b", "/open311/v2/requests.json?service_request_id=a%00b"]:
        r = client.get(path)
        out.append((path, r.status_code))
    r = post_report(client, description="a\x00b")
    out.append(("desc nul", r.status_code))
    r = post_report(client, submission_key="k" * 100)
    out.append(("long key", r.status_code))
    sid = make_session(app)
    r = post_sign_up(client, sid, name="a\x00b")
    out.append(("name nul", r.status_code))
    r = post_sign_up(client, sid, submission_key="k" * 100)
    out.append(("signup long key", r.status_code))
    print(app.config["SQLALCHEMY_DATABASE_URI"][:10], out)
    assert 0

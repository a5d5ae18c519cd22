from tests.courses.test_organisers import *
def test_dbg(app, world):
    client = client_as(app, "organiser-own")
    token = token_for(client, "organiser-own")
    data = edit_form(app, world.session_id, token, venue_name="Salle B")
    print(data)
    r = client.post(f"/fr/manage/courses/{world.session_id}/edit", data=data)
    html = r.get_data(as_text=True)
    import re
    print(re.findall(r'class="error-message"[^>]*>(.*?)</span>\s*</span>|<li>(.*?)</li>', html, re.S)[:20])
    i = html.find("error-summary"); print(html[i:i+1500])

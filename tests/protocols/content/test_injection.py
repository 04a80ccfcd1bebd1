"""Script-injection payloads saved as content in every language must come out inert: as text in
the blob documents, the status page and the reading page, never as markup."""

import json
import re
from html.parser import HTMLParser

import pytest

from ivigapp.protocols.content.models import ContentTranslation

from .conftest import published

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">tap</a>',
    '<a href="JaVaScRiPt:alert(1)">tap</a>',
    '<a href="&#106;avascript:alert(1)">tap</a>',
    "<a href=javascript&colon;alert(1)>tap</a>",
    '<a href="java\tscript:alert(1)">tap</a>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' autofocus onfocus='alert(1)",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<style>@import 'javascript:alert(1)';</style>",
    "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<template><script>alert(1)</script></template>",
    "[tap](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "**<script>alert(1)</script>**",
    "- <img src=x onerror=alert(1)>\n- <svg/onload=alert(1)>",
    "`<script>alert(1)</script>`",
    "\u202e<script>alert(1)</script>",
    "\u202b<img src=x onerror=alert(1)>\u202c",
    "\u2067<svg onload=alert(1)>\u2069",
    "\x00<script>alert(1)</script>",
    "<scr\x00ipt>alert(1)</script>",
    "{{constructor.constructor('alert(1)')()}}",
]
IN_LANGUAGE = {
    "es": "Llame ahora a su equipo. ¡Atención! {payload} Gracias.",
    "fr": "Appelez votre équipe maintenant. Attention : {payload} Merci.",
    "ar": "اتصل بفريق الرعاية الآن. \u202eتنبيه {payload} شكرًا.",
}
ALLOWED_CONTENT_TAGS = {"p", "br", "strong", "ul", "li"}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.script_text = [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.script_text.append(data)


def parse(html):
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert_page(html):
    """A whole page: only the app's own external scripts, no handlers, no script URLs."""
    parsed = parse(html)
    assert parsed.script_text == []
    for tag, attrs in parsed.tags:
        names = dict(attrs)
        if tag == "script":
            assert re.match(r"^/[^/]", names.get("src", "")), attrs  # same-origin files only
        for name, value in attrs:
            assert not re.fullmatch(r"on\w+", name), (tag, attrs)
            if name in {"href", "src", "action", "formaction", "data", "xlink:href"}:
                compact = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert not compact.startswith(("javascript:", "data:", "vbscript:")), (tag, attrs)
    assert {tag for tag, _attrs in parsed.tags}.isdisjoint({"iframe", "object", "embed", "svg", "img", "math"})


def assert_inert_content(body_html):
    assert "<script" not in body_html.lower()
    for tag, attrs in parse(body_html).tags:
        assert tag in ALLOWED_CONTENT_TAGS and attrs == [], (tag, attrs)


@pytest.fixture
def hostile(admin_user, approver):
    """One item per payload; the payload is in the English source and in every translation."""
    for number, payload in enumerate(PAYLOADS):
        translations = {
            language: (f"{payload[:150]} ({language})", template.format(payload=payload))
            for language, template in IN_LANGUAGE.items()
        }
        published(admin_user, approver, f"INJ_{number:02d}", payload[:150] or "x", payload, translations=translations)
    return len(PAYLOADS)


def test_payloads_in_every_language_come_out_of_the_blob_endpoint_as_text(client, patient, hostile):
    assert hostile >= 30
    assert ContentTranslation.objects.filter(status="reviewed").count() == hostile * len(IN_LANGUAGE)
    client.force_login(patient.user)
    for language in ["en", *IN_LANGUAGE]:
        manifest = client.get("/api/sync/v1/content/manifest", {"lang": language})
        assert b"<" not in manifest.content
        items = manifest.json()["items"]
        assert len(items) == hostile and {i["language_shown"] for i in items} == {language}
        for entry in items:
            response = client.get(f"/api/content/blob/{entry['sha256']}")
            assert b"<" not in response.content and "\u202e".encode() not in response.content
            document = json.loads(response.content)
            assert_inert_content(document["body_html"])
            assert "\u202e" not in document["body_html"] + document["title"]
            assert "\x00" not in document["body_html"] + document["title"]


def test_payloads_stay_text_on_the_status_page(client, admin_user, hostile):
    client.force_login(admin_user)
    html = client.get("/content/status/").content.decode()
    assert html.count("INJ_") == hostile
    assert_inert_page(html)


def test_payloads_in_every_language_stay_text_on_the_reading_page(client, region, admin_user, hostile):
    from tests.conftest import make_patient

    for language in IN_LANGUAGE:
        reader = make_patient(f"reader{language}", region, admin_user, language=language)
        client.force_login(reader.user)
        for number in range(hostile):
            response = client.get(f"/content/read/INJ_{number:02d}/")
            assert response.status_code == 200
            html = response.content.decode()
            assert_inert_page(html)
            assert f'lang="{language}"' in html
            body = html[html.index('<div class="content-body">') : html.index("</article>")]
            assert_inert_content(body.removeprefix('<div class="content-body">').rsplit("</div>", 1)[0])

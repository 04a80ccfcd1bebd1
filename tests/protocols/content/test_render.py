from ivigapp.protocols.content.render import render_html, render_plain


def test_it_renders_paragraphs_bold_and_bullet_lists():
    text = "Before you start:\n\n- Drink **well**.\n- Take premeds.\n\nThen begin.\nSlowly."
    assert render_html(text) == (
        "<p>Before you start:</p><ul><li>Drink <strong>well</strong>.</li><li>Take premeds.</li></ul>"
        "<p>Then begin.<br>Slowly.</p>"
    )


def test_a_list_may_follow_a_line_of_text_without_a_blank_line():
    assert render_html("Call if:\n* pain\n• swelling") == "<p>Call if:</p><ul><li>pain</li><li>swelling</li></ul>"


def test_plain_text_keeps_markdown_marks_as_they_are():
    assert render_html("**Not bold**\n- not a list", markdown=False) == "<p>**Not bold**<br>- not a list</p>"


def test_it_escapes_html_instead_of_passing_it_through():
    assert render_html('<b onclick="x()">hi</b> & <a href="javascript:x">') == (
        "<p>&lt;b onclick=&quot;x()&quot;&gt;hi&lt;/b&gt; &amp; &lt;a href=&quot;javascript:x&quot;&gt;</p>"
    )


def test_bold_cannot_smuggle_markup():
    assert render_html("**<script>x</script>**") == "<p><strong>&lt;script&gt;x&lt;/script&gt;</strong></p>"


def test_it_removes_bidirectional_overrides_and_control_characters():
    assert render_html("abc\u202edcba\u2066x\u2069\x00\x07") == "<p>abcdcbax</p>"


def test_placeholders_survive_rendering():
    assert render_html("At {time}, %(n)s vials.") == "<p>At {time}, %(n)s vials.</p>"


def test_arabic_text_renders_unchanged():
    assert (
        render_html("**اتصل الآن**\n\n- أوقف التسريب")
        == "<p><strong>اتصل الآن</strong></p><ul><li>أوقف التسريب</li></ul>"
    )


def test_the_plain_rendering_drops_markdown_marks():
    assert render_plain("**Stop** now.\n- one\n- two") == "Stop now.\n• one\n• two"

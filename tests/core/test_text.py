from ivigapp.core.text import storable, unstorable


def test_what_postgresql_cannot_store_is_found_and_replaced():
    assert unstorable("plain ascii") is None
    assert unstorable("Größe 10 g, عربي, 😀") is None
    assert unstorable("a\x00b") == "\x00"
    assert unstorable("x\ud800y") == "\ud800" and unstorable("é\udfff") == "\udfff"
    assert storable("a\x00b\ud83dc😀") == "a\ufffdb\ufffdc😀"
    assert storable("unchanged é") == "unchanged é"

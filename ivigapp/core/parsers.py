"""The API's JSON parser: DRF's, with a bound on how deeply a document may nest.

Python's parser gives up past about a thousand levels with a RecursionError, which DRF does not
catch (a 500), and a document that parses a little below that still breaks whatever walks it next
(the serializers, the push's checks, the mutation log's json.dumps). Nothing the app sends nests
more than a few levels, so anything deeper than MAX_DEPTH is a 400.
"""

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def _too_deep(value, room: int) -> bool:
    """Whether `value` (parsed JSON) holds more than `room` levels of objects and arrays."""
    if room == 0:
        return True
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if (kind is dict or kind is list) and _too_deep(item, room - 1):
            return True
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            data = None
        else:
            if type(data) not in (dict, list) or not _too_deep(data, MAX_DEPTH):
                return data
        raise ParseError(_("The JSON document nests more than %(depth)s levels deep.") % {"depth": MAX_DEPTH})

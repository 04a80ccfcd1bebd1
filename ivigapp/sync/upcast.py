"""Old mutation formats, upgraded to the current one. A phone can queue mutations offline and
update the app before it reconnects, so old formats are never dropped."""

CURRENT_MUTATION_FORMAT = 2


def _v1_to_v2(mutation: dict) -> dict:
    # Format 1 sent the red flags of a checklist as a list of the codes answered yes.
    data = mutation.get("set") or {}
    if mutation.get("table") == "symptom_report" and isinstance(data.get("red_flags"), list):
        from ivigapp.reactions.models import RED_FLAGS

        yes = set(data.pop("red_flags"))
        data["red_flag_answers"] = {code: code in yes for code in RED_FLAGS}
    return {**mutation, "set": data, "mutation_format": 2}


UPCASTERS = {1: _v1_to_v2}


def upcast(mutation: dict) -> dict:
    fmt = mutation.get("mutation_format") or CURRENT_MUTATION_FORMAT
    while fmt < CURRENT_MUTATION_FORMAT:
        mutation = UPCASTERS[fmt](mutation)
        fmt = mutation["mutation_format"]
    return mutation

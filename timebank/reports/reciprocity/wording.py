"""The words of the reciprocity report: each figure's label and the one plain sentence
that says what it means, in the words of co-production.

The domain imports no Flask, so these are English msgids. ``_l`` only marks them for
the catalogue (``make translations`` extracts ``_l(...)`` calls); the web layer passes
each through gettext when it shows it, and the CSV export through a
``timebank.reports.audit_wording.Wording``.
"""

from __future__ import annotations


def _l(message: str) -> str:
    """Mark an English msgid for the catalogue; translated where it is shown."""
    return message


# key: (label, meaning)
FIGURES: dict[str, tuple[str, str]] = {
    "hours": (
        _l("Hours exchanged"),
        _l(
            "Time members gave each other and organisations: the core economy this time bank"
            " makes visible."
        ),
    ),
    "exchanges": (
        _l("Exchanges"),
        _l(
            "How many times someone gave time to someone else; a group exchange counts once"
            " for each person in it."
        ),
    ),
    "hours_per_exchange": (
        _l("Hours per exchange"),
        _l("How long an exchange lasts on average: short favours or longer support."),
    ),
    "registered": (
        _l("Registered members"),
        _l("Everyone who belonged to the time bank at the end of the period."),
    ),
    "active": (
        _l("Active members"),
        _l("Members who gave or received time at least once in the period."),
    ),
    "active_rate": (
        _l("Active rate"),
        _l("The share of registered members who took part: a living network, not a list."),
    ),
    "mutuality_people": (
        _l("Members counted"),
        _l("The active members these figures describe."),
    ),
    "two_way_rate": (
        _l("Two-way rate"),
        _l(
            "The share of active members who both gave and received time: mutuality, help"
            " as a two-way street."
        ),
    ),
    "only_give": (
        _l("Only gave"),
        _l("The share of active members who gave time but received none."),
    ),
    "only_receive": (
        _l("Only received"),
        _l(
            "The share of active members who received time but gave none: people whose"
            " assets are not yet asked for."
        ),
    ),
    "gini": (
        _l("How concentrated giving is"),
        _l(
            "The Gini index of hours given: 0 when everyone gives alike, near 1 when a few"
            " people do all the giving."
        ),
    ),
    "shared_roles_index": (
        _l("Shared-roles index"),
        _l(
            "Hours participants gave professionals and organisations for every hour they"
            " received from them: above 1, people who use services are also providing"
            " them."
        ),
    ),
    "participants_who_gave": (
        _l("Participants who have given time"),
        _l(
            "The share of participants who have given time at least once: people seen as"
            " assets, not passive recipients."
        ),
    ),
    "median_days_to_first_gift": (
        _l("Days from joining to first giving"),
        _l(
            "The middle number of days between joining and first giving time, for members"
            " who first gave in the period: how quickly people's assets are put to use."
        ),
    ),
    "core_hours": (
        _l("Hours of the core economy"),
        _l("The unpaid time of neighbours, families and community that this bank recorded."),
    ),
    "replacement_cost": (
        _l("Replacement cost"),
        _l(
            "What the same hours would cost at the time bank's hourly rate: a replacement"
            " cost, not a social return; some work is beyond price."
        ),
    ),
    "pot_inflow": (
        _l("Credits donated to the community pot"),
        _l("Credits members and organisations gave to the community pot for others to use."),
    ),
    "pot_outflow": (
        _l("Credits granted from the community pot"),
        _l("Credits the coordinators granted to people who cannot easily earn them."),
    ),
    "pot_people_helped": (
        _l("People helped by the community pot"),
        _l("How many people received credits from the pot: mutual support beyond one-to-one."),
    ),
    "pot_donors": (
        _l("People who donated to the pot"),
        _l("How many people gave some of their credits to the pot."),
    ),
    "network_people": (
        _l("People in the network"),
        _l("Members who exchanged time with someone in the period."),
    ),
    "reciprocity": (
        _l("Returned ties"),
        _l(
            "The share of giving ties that were returned: of everyone who helped someone,"
            " how often that person helped back."
        ),
    ),
    "weighted_reciprocity": (
        _l("Returned hours"),
        _l("The share of hours matched by hours flowing back between the same two people."),
    ),
    "size_corrected_reciprocity": (
        _l("Reciprocity beyond chance"),
        _l(
            "How much more often ties are returned than in a random network of the same"
            " density: 0 is chance, 1 is every tie returned."
        ),
    ),
    "cycle_share": (
        _l("Hours passed on around circles"),
        _l(
            "The share of hours on circles of three or more people (A helps B, B helps C, C"
            " helps A): generalised reciprocity, the time bank's own kind."
        ),
    ),
    "strongly_connected_share": (
        _l("Share in the largest giving circle"),
        _l(
            "The share of the network in its largest group where anyone's help can reach"
            " anyone else through others."
        ),
    ),
    "density": (
        _l("Density"),
        _l("The share of all possible giving ties that exist: how thick the web is."),
    ),
    "mean_partners": (
        _l("Partners per member"),
        _l("How many different people or organisations a member exchanged time with."),
    ),
    "components": (
        _l("Separate groups"),
        _l("How many separate groups the network falls into: fewer means better connected."),
    ),
    "giant_share": (
        _l("Share in the largest group"),
        _l("The share of the network connected to its largest group."),
    ),
    "centralisation": (
        _l("Dependence on hubs"),
        _l(
            "Degree centralisation from 0 to 1: high when exchanges run through a few hubs"
            " or coordinators, low when peer networks carry them."
        ),
    ),
}

TABLES: dict[str, tuple[str, str]] = {
    "mutuality_groups": (
        _l("Who gives and who receives"),
        _l("Active members by whether they gave, received or both."),
    ),
    "balance_index": (
        _l("Balance of giving and receiving"),
        _l(
            "Members by their personal balance index, (given - received) / (given +"
            " received): from -1, only received, to 1, only gave."
        ),
    ),
    "flows": (
        _l("Hours flowing between roles"),
        _l(
            "Hours given by each kind of member (rows) to each kind (columns): shared roles"
            " blur the line between provider and recipient. Flows to and from the pot are"
            " credits, not time."
        ),
    ),
    "offers": (
        _l("Kinds of help offered"),
        _l("Members offering each kind of help on their profile or the notice board: assets."),
    ),
    "core_by_category": (
        _l("Hours by kind of help"),
        _l("The core economy by kind of help, with its replacement cost."),
    ),
}

COLUMNS: dict[str, str] = {
    "people": _l("People"),
    "share": _l("Share"),
    "hours": _l("Hours"),
    "replacement_cost": _l("Replacement cost"),
    "participant": _l("Participants"),
    "professional": _l("Professionals"),
    "organisation": _l("Organisations"),
    "pot": _l("Community pot"),
}

ROWS: dict[str, str] = {
    "two_way": _l("Gave and received"),
    "only_give": _l("Only gave"),
    "only_receive": _l("Only received"),
    "bin:mostly_received": _l("Mostly received (below -0.6)"),
    "bin:received_more": _l("Received more (-0.6 to -0.2)"),
    "bin:balanced": _l("Balanced (-0.2 to 0.2)"),
    "bin:gave_more": _l("Gave more (0.2 to 0.6)"),
    "bin:mostly_gave": _l("Mostly gave (above 0.6)"),
    "participant": _l("Participants"),
    "professional": _l("Professionals"),
    "organisation": _l("Organisations"),
    "pot": _l("Community pot"),
    "sensitive": _l("Sensitive kinds of help (combined)"),
    "none": _l("No kind given"),
    "total": _l("Total"),
}

# The kinds of node in the network picture (and of member in coordinators' lists).
NODE_KINDS: dict[str, str] = {
    "participant": _l("participant"),
    "professional": _l("professional"),
    "member": _l("member"),
    "organisation": _l("organisation"),
    "pot": _l("community pot"),
}

NOTES: dict[str, str] = {
    "consent": _l(
        "Breakdowns, distributions and the network count only members who agreed to partner"
        " reporting; whole-bank totals count everyone."
    ),
    "suppression": _l(
        "Figures about fewer people than the threshold, and figures they could be worked"
        " out from, are not shown."
    ),
    "sensitive": _l(
        "Kinds of help that can reveal health (such as personal care) are shown together"
        " as one row."
    ),
    "lowest_rate": _l(
        "The time banks use different hourly rates; the replacement cost uses the lowest."
    ),
    "graph_pseudonymised": _l(
        "The network picture has no names, and its labels change every time it is made."
    ),
    "graph_kinds_hidden": _l(
        "One kind of member is too few to show, so every person is shown simply as a member."
    ),
    "graph_too_small": _l("Too few people agreed to reporting for the network to be drawn."),
    "graph_partial": _l(
        "The network is too large to draw whole: the picture shows its heaviest ties; the"
        " measures count every tie."
    ),
    "reversals": _l(
        "Only exchanges and group exchanges count as time; corrected entries are left out."
    ),
}

SUPPRESSED_WORDS: dict[str, str] = {
    "small": _l("Not shown: fewer people than the threshold"),
    "derivable": _l("Not shown: it would reveal a small number"),
}

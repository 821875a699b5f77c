"""Where the vendors' definitions of the same figure differ, as data (kpi-catalog.md §4).

The fact computation is one piece of code; a `Rules` value says which vendor's reading of the
catalog a source's facts follow, so deskpulse's figures can be checked against that vendor's
own. The rules are chosen by the source's kind (the `sources` table), never by vendor JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Rules:
    """`clock`: where durations start (creation, or the first customer message: Intercom).
    `agent_created`: for a ticket an agent opened, whether its opening public comment is
    skipped and the next agent reply is the first response (Zendesk), or the ticket has no
    first response at all (Freshdesk outbound tickets, vendor-apis.md §4.3).
    `approx_status`: the status history is reconstructed, not recorded (Freshdesk).
    `surveys_offered`: the vendor records surveys sent but not answered (Zendesk's
    "offered"); without that a survey response rate cannot be known.
    `reply_from`: a reply cycle's wait starts at the first unanswered customer message
    (Zendesk's next reply time) or at the last one (Intercom's median_time_to_reply)."""

    name: str
    clock: Literal["created", "first_customer_message"] = "created"
    agent_created: Literal["skip_opening", "no_first_response"] = "skip_opening"
    approx_status: bool = False
    reply_from: Literal["first_unanswered", "last_unanswered"] = "first_unanswered"
    surveys_offered: bool = True  # unanswered surveys are records too (survey response rate)


ZENDESK = Rules("zendesk")
FRESHDESK = Rules("freshdesk", agent_created="no_first_response", approx_status=True,
                  surveys_offered=False)
INTERCOM = Rules("intercom", clock="first_customer_message", reply_from="last_unanswered",
                 surveys_offered=False)
RULES = {rules.name: rules for rules in (ZENDESK, FRESHDESK, INTERCOM)}


def rules_for(kind: str | None) -> Rules:
    """The rule set of a source kind; a plug-in connector's kind gets the catalog default."""
    return RULES.get(kind or "", ZENDESK)

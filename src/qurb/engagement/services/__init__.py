"""Writes for neighbourhood priorities (SARA) and meetings with residents.

Priorities: set one, record what was done, close it. Meetings: plan one, register (with a
waiting list), hold it (attendance, minutes), record and answer proposals, action items, and
the attendees' ratings.

One module per subdomain; every public name is re-exported here, so that callers import from
``qurb.engagement.services``:

- ``priorities``: neighbourhood priorities, their evidence, actions and ratings;
- ``meetings``: plan, remind, hold;
- ``registrations``: register, cancel, rate a meeting attended;
- ``proposals``: proposals made at meetings or sent by associations, and their answers;
- ``action_items``: a meeting's action items;
- ``surveys``: the trust and satisfaction surveys;
- ``anonymity``: the keyed hash that lets a person answer once, anonymously.

Audited services are registered under the module that defines them
(``qurb.engagement.services.priorities.priority_set``, ...).
"""

from qurb.engagement.services.action_items import action_item_add, action_item_done
from qurb.engagement.services.anonymity import keyed_hash
from qurb.engagement.services.meetings import meeting_create, meeting_hold, meetings_remind
from qurb.engagement.services.priorities import (
    priority_action_add,
    priority_close,
    priority_evidence_add,
    priority_rate,
    priority_set,
)
from qurb.engagement.services.proposals import proposal_add, proposal_answer, proposal_submit
from qurb.engagement.services.registrations import (
    meeting_register,
    rating_record,
    registration_cancel,
)
from qurb.engagement.services.surveys import (
    STANDARD_SURVEY,
    respondent_key,
    survey_answer,
    survey_open,
)

__all__ = [
    "STANDARD_SURVEY",
    "action_item_add",
    "action_item_done",
    "keyed_hash",
    "meeting_create",
    "meeting_hold",
    "meeting_register",
    "meetings_remind",
    "priority_action_add",
    "priority_close",
    "priority_evidence_add",
    "priority_rate",
    "priority_set",
    "proposal_add",
    "proposal_answer",
    "proposal_submit",
    "rating_record",
    "registration_cancel",
    "respondent_key",
    "survey_answer",
    "survey_open",
]

"""The closed vocabulary of the audit trail: every action, named ``<context>.<verb>``, and the
shape of its details.

A details shape lists the keys an event of that action carries; a key ending in ``?`` may be
left out. The key ``changes`` holds ``{field: {"old": …, "new": …}}`` for what was changed;
``languages`` lists the languages (of ``ar``, ``fr``, ``en``) a published text was written in.
``audit_record`` refuses an action outside the enum and details of another shape.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class AuditAction(StrEnum):
    # accounts
    ACCOUNTS_CREATE_USER = "accounts.create_user"
    ACCOUNTS_UPDATE_USER = "accounts.update_user"
    ACCOUNTS_GRANT_ROLE = "accounts.grant_role"
    ACCOUNTS_REVOKE_ROLE = "accounts.revoke_role"
    ACCOUNTS_SET_OFFICER_PROFILE = "accounts.set_officer_profile"
    ACCOUNTS_DISABLE_USER = "accounts.disable_user"
    ACCOUNTS_ENROL_MFA = "accounts.enrol_mfa"
    ACCOUNTS_VERIFY_MFA = "accounts.verify_mfa"
    ACCOUNTS_FAIL_MFA = "accounts.fail_mfa"
    ACCOUNTS_REGISTER_ASSOCIATION = "accounts.register_association"
    ACCOUNTS_VERIFY_ASSOCIATION = "accounts.verify_association"
    ACCOUNTS_REJECT_ASSOCIATION = "accounts.reject_association"
    ACCOUNTS_ADD_MEMBER = "accounts.add_member"
    ACCOUNTS_REMOVE_MEMBER = "accounts.remove_member"
    ACCOUNTS_READ_ASSOCIATION_DOCUMENT = "accounts.read_association_document"
    ACCOUNTS_SET_PASSWORD = "accounts.set_password"  # noqa: S105 (an action name)
    # areas
    AREAS_LOAD = "areas.load"
    AREAS_ACTIVATE_GENERATION = "areas.activate_generation"
    AREAS_UPSERT_PLACE = "areas.upsert_place"
    # reports
    REPORTS_SUBMIT = "reports.submit"
    REPORTS_CHANGE_STATUS = "reports.change_status"
    REPORTS_ASSIGN = "reports.assign"
    REPORTS_ADD_NOTE = "reports.add_note"
    REPORTS_MERGE = "reports.merge"
    REPORTS_CONFIRM_TRIAGE = "reports.confirm_triage"
    REPORTS_RECORD_OUTCOME = "reports.record_outcome"
    REPORTS_READ_CONTACT = "reports.read_contact"
    REPORTS_CREATE_API_KEY = "reports.create_api_key"
    REPORTS_REVOKE_API_KEY = "reports.revoke_api_key"
    REPORTS_SAVE_RESPONSE_TEMPLATE = "reports.save_response_template"
    # engagement
    ENGAGEMENT_SET_PRIORITY = "engagement.set_priority"
    ENGAGEMENT_ADD_EVIDENCE = "engagement.add_evidence"
    ENGAGEMENT_ADD_PRIORITY_ACTION = "engagement.add_priority_action"
    ENGAGEMENT_CLOSE_PRIORITY = "engagement.close_priority"
    ENGAGEMENT_CREATE_MEETING = "engagement.create_meeting"
    ENGAGEMENT_HOLD_MEETING = "engagement.hold_meeting"
    ENGAGEMENT_ADD_PROPOSAL = "engagement.add_proposal"
    ENGAGEMENT_SUBMIT_PROPOSAL = "engagement.submit_proposal"
    ENGAGEMENT_ANSWER_PROPOSAL = "engagement.answer_proposal"
    ENGAGEMENT_ADD_ACTION_ITEM = "engagement.add_action_item"
    ENGAGEMENT_COMPLETE_ACTION_ITEM = "engagement.complete_action_item"
    ENGAGEMENT_OPEN_SURVEY = "engagement.open_survey"
    # communication
    COMMUNICATION_CREATE_EVENT = "communication.create_event"
    COMMUNICATION_ADD_VENUE = "communication.add_venue"
    COMMUNICATION_ADD_STAND = "communication.add_stand"
    COMMUNICATION_ADD_PROGRAMME_ITEM = "communication.add_programme_item"
    COMMUNICATION_PUBLISH_EVENT = "communication.publish_event"
    COMMUNICATION_CHECK_IN = "communication.check_in"
    COMMUNICATION_SAVE_SCHOOL_SESSION = "communication.save_school_session"
    COMMUNICATION_SAVE_ARTICLE = "communication.save_article"
    COMMUNICATION_MOVE_ARTICLE = "communication.move_article"
    COMMUNICATION_SEND_NEWSLETTER = "communication.send_newsletter"
    COMMUNICATION_COMPOSE_NEWSLETTER = "communication.compose_newsletter"
    COMMUNICATION_EDIT_NEWSLETTER = "communication.edit_newsletter"
    COMMUNICATION_DISCARD_NEWSLETTER = "communication.discard_newsletter"
    COMMUNICATION_PUBLISH_YEARLY_REPORT = "communication.publish_yearly_report"
    # alerts
    ALERTS_OPEN = "alerts.open"
    ALERTS_READ_CASE = "alerts.read_case"
    ALERTS_READ_PHOTO = "alerts.read_photo"
    ALERTS_VALIDATE = "alerts.validate"
    ALERTS_UPDATE = "alerts.update"
    ALERTS_END = "alerts.end"
    ALERTS_PURGE = "alerts.purge"
    # messaging
    MESSAGING_SAVE = "messaging.save"
    MESSAGING_SUBMIT = "messaging.submit"
    MESSAGING_REVIEW = "messaging.review"
    MESSAGING_PUBLISH = "messaging.publish"
    MESSAGING_WITHDRAW = "messaging.withdraw"


A = AuditAction

DETAILS: dict[AuditAction, tuple[str, ...]] = {
    A.ACCOUNTS_CREATE_USER: (),
    A.ACCOUNTS_UPDATE_USER: ("changes",),
    A.ACCOUNTS_GRANT_ROLE: ("role", "changes?"),
    A.ACCOUNTS_REVOKE_ROLE: ("role", "changes?"),
    A.ACCOUNTS_SET_OFFICER_PROFILE: ("changes",),
    A.ACCOUNTS_DISABLE_USER: (),
    A.ACCOUNTS_ENROL_MFA: ("device",),
    A.ACCOUNTS_VERIFY_MFA: ("device",),
    A.ACCOUNTS_FAIL_MFA: (),
    A.ACCOUNTS_REGISTER_ASSOCIATION: ("documents",),
    A.ACCOUNTS_VERIFY_ASSOCIATION: ("changes", "lead"),
    A.ACCOUNTS_REJECT_ASSOCIATION: ("changes", "reason"),
    A.ACCOUNTS_ADD_MEMBER: ("association", "invited?"),
    A.ACCOUNTS_REMOVE_MEMBER: ("association",),
    A.ACCOUNTS_READ_ASSOCIATION_DOCUMENT: ("document",),
    # Whether the account may still sign in with a password; never the password itself.
    A.ACCOUNTS_SET_PASSWORD: ("usable",),
    A.AREAS_LOAD: ("created", "changed", "unchanged"),
    A.AREAS_ACTIVATE_GENERATION: (),
    A.AREAS_UPSERT_PLACE: ("changes?",),
    A.REPORTS_SUBMIT: ("channel", "photos"),
    A.REPORTS_CHANGE_STATUS: ("changes",),
    A.REPORTS_ASSIGN: ("changes",),
    A.REPORTS_ADD_NOTE: ("note",),
    A.REPORTS_MERGE: ("into", "changes"),
    A.REPORTS_CONFIRM_TRIAGE: ("changes",),
    A.REPORTS_RECORD_OUTCOME: ("outcome",),
    A.REPORTS_READ_CONTACT: ("found",),
    A.REPORTS_CREATE_API_KEY: ("prefix",),
    A.REPORTS_REVOKE_API_KEY: ("prefix",),
    A.REPORTS_SAVE_RESPONSE_TEMPLATE: ("created", "changes"),
    A.ENGAGEMENT_SET_PRIORITY: ("reports", "hotspots", "languages"),
    A.ENGAGEMENT_ADD_EVIDENCE: ("reports", "hotspots"),
    A.ENGAGEMENT_ADD_PRIORITY_ACTION: ("done_on", "progress", "languages"),
    A.ENGAGEMENT_CLOSE_PRIORITY: ("changes",),
    A.ENGAGEMENT_CREATE_MEETING: ("public", "invited", "languages"),
    A.ENGAGEMENT_HOLD_MEETING: ("attended",),
    A.ENGAGEMENT_ADD_PROPOSAL: ("meeting",),
    A.ENGAGEMENT_SUBMIT_PROPOSAL: ("association",),
    A.ENGAGEMENT_ANSWER_PROPOSAL: ("changes",),
    A.ENGAGEMENT_ADD_ACTION_ITEM: ("meeting",),
    A.ENGAGEMENT_COMPLETE_ACTION_ITEM: ("changes",),
    A.ENGAGEMENT_OPEN_SURVEY: (),
    A.COMMUNICATION_CREATE_EVENT: ("languages",),
    A.COMMUNICATION_ADD_VENUE: ("event", "languages"),
    A.COMMUNICATION_ADD_STAND: ("event", "languages"),
    A.COMMUNICATION_ADD_PROGRAMME_ITEM: ("event", "languages"),
    A.COMMUNICATION_PUBLISH_EVENT: ("changes",),
    A.COMMUNICATION_CHECK_IN: ("day", "ticket?", "kind?", "count?"),
    A.COMMUNICATION_SAVE_SCHOOL_SESSION: ("created",),
    A.COMMUNICATION_SAVE_ARTICLE: ("created",),
    A.COMMUNICATION_MOVE_ARTICLE: ("changes",),
    A.COMMUNICATION_SEND_NEWSLETTER: ("recipients",),
    # How many items the edition holds once composed or edited (or held, when discarded).
    A.COMMUNICATION_COMPOSE_NEWSLETTER: ("items",),
    A.COMMUNICATION_EDIT_NEWSLETTER: ("items",),
    A.COMMUNICATION_DISCARD_NEWSLETTER: ("items",),
    A.COMMUNICATION_PUBLISH_YEARLY_REPORT: ("year",),
    A.ALERTS_OPEN: (),
    A.ALERTS_READ_CASE: ("status",),
    A.ALERTS_READ_PHOTO: ("status",),
    A.ALERTS_VALIDATE: ("decision", "criteria"),
    A.ALERTS_UPDATE: ("fields",),
    A.ALERTS_END: ("reason",),
    A.ALERTS_PURGE: (),
    A.MESSAGING_SAVE: ("created", "languages"),
    A.MESSAGING_SUBMIT: ("changes",),
    # approve or return; the note explains a return to the author.
    A.MESSAGING_REVIEW: ("decision", "changes", "note?"),
    A.MESSAGING_PUBLISH: ("changes",),
    A.MESSAGING_WITHDRAW: ("changes",),
}


def change(old: Any, new: Any) -> dict[str, Any]:
    """One entry of ``changes``."""
    return {"old": old, "new": new}


def check_details(action: AuditAction, details: dict[str, Any]) -> None:
    """Raise ``ValueError`` unless ``details`` has the shape of ``action``."""
    shape = DETAILS[action]
    required = {k for k in shape if not k.endswith("?")}
    allowed = required | {k.rstrip("?") for k in shape if k.endswith("?")}
    keys = set(details)
    if not required <= keys <= allowed:
        raise ValueError(
            f"details of {action} must have keys {sorted(required)} "
            f"(optional {sorted(allowed - required)}), not {sorted(keys)}"
        )
    changes = details.get("changes", {})
    if not isinstance(changes, dict) or not all(
        isinstance(v, dict) and set(v) == {"old", "new"} for v in changes.values()
    ):
        raise ValueError(f"changes of {action} must map fields to {{'old', 'new'}}")

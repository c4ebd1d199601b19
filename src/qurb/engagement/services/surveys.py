"""Writes for the trust and satisfaction surveys: open the standard questionnaire for an
area, and store one person's answers anonymously."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qurb.accounts.access import Capability
from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.audit.actions import AuditAction
from qurb.audit.services import audit_record, audited
from qurb.engagement import policy
from qurb.engagement.models import Question, QuestionKind, Survey, SurveyAnswer, SurveyResponse
from qurb.engagement.services.anonymity import keyed_hash

# The standard trust and satisfaction questionnaire: (kind, measures trust, texts, choices).
STANDARD_SURVEY: list[tuple[str, bool, dict[str, str], list[dict[str, str]]]] = [
    (
        QuestionKind.SCALE,
        True,
        {
            "ar": "إلى أي حد تثق في الشرطة في حيك؟",
            "fr": "Quelle confiance accordez-vous à la police de votre quartier ?",
            "en": "How much do you trust the police in your neighbourhood?",
        },
        [],
    ),
    (
        QuestionKind.SCALE,
        True,
        {
            "ar": "هل تتعامل الشرطة في حيك مع الناس بإنصاف؟",
            "fr": "La police de votre quartier traite-t-elle les gens équitablement ?",
            "en": "Do the police in your neighbourhood treat people fairly?",
        },
        [],
    ),
    (
        QuestionKind.SCALE,
        False,
        {
            "ar": "ما مدى شعورك بالأمان عند المشي في حيك بعد حلول الظلام؟",
            "fr": "Vous sentez-vous en sécurité en marchant dans votre quartier la nuit ?",
            "en": "How safe do you feel walking in your neighbourhood after dark?",
        },
        [],
    ),
    (
        QuestionKind.YES_NO,
        False,
        {
            "ar": "هل تواصلت مع الشرطة خلال الاثني عشر شهرًا الماضية؟",
            "fr": "Avez-vous contacté la police au cours des douze derniers mois ?",
            "en": "Have you contacted the police in the last twelve months?",
        },
        [],
    ),
    (
        QuestionKind.CHOICE,
        False,
        {
            "ar": "كم مرة ترى دوريات الشرطة في حيك؟",
            "fr": "À quelle fréquence voyez-vous des patrouilles dans votre quartier ?",
            "en": "How often do you see police patrols in your neighbourhood?",
        },
        [
            {"value": "never", "ar": "أبدًا", "fr": "Jamais", "en": "Never"},
            {
                "value": "monthly",
                "ar": "مرة في الشهر تقريبًا",
                "fr": "Environ une fois par mois",
                "en": "About once a month",
            },
            {"value": "weekly", "ar": "كل أسبوع", "fr": "Chaque semaine", "en": "Every week"},
            {"value": "daily", "ar": "كل يوم", "fr": "Chaque jour", "en": "Every day"},
        ],
    ),
]


@audited(AuditAction.ENGAGEMENT_OPEN_SURVEY)
def survey_open(*, area: Area, opens_on: date, closes_on: date, actor: User) -> Survey:
    """Open the standard trust and satisfaction survey for an area."""
    policy.require(actor, Capability.SURVEY_OPEN, area.pk)
    if closes_on < opens_on:
        raise ValidationError({"closes_on": [_("A survey must close after it opens.")]})
    survey = Survey.objects.create(
        area=area,
        opens_on=opens_on,
        closes_on=closes_on,
        title_ar=f"استطلاع الثقة والرضا — {area.localized('name', 'ar')}",
        title_fr=f"Enquête de confiance et de satisfaction — {area.localized('name', 'fr')}",
        title_en=f"Trust and satisfaction survey — {area.localized('name', 'en')}",
    )
    for order, (kind, trust, texts, choices) in enumerate(STANDARD_SURVEY):
        Question.objects.create(
            survey=survey,
            order=order,
            kind=kind,
            measures_trust=trust,
            choices=choices,
            text_ar=texts["ar"],
            text_fr=texts["fr"],
            text_en=texts["en"],
        )
    audit_record(
        actor=actor, action=AuditAction.ENGAGEMENT_OPEN_SURVEY, target=survey, area_id=area.pk
    )
    return survey


def respondent_key(survey: Survey, identity: str) -> str:
    return keyed_hash(f"survey:{survey.pk}", identity)


def survey_answer(*, survey: Survey, answers: dict[int, str], identity: str) -> SurveyResponse:
    """Store one person's answers, anonymously; a second answer from them is refused."""
    today = timezone.localdate()
    if not survey.opens_on <= today <= survey.closes_on:
        raise ValidationError({"survey": [_("This survey is not open.")]})
    if not identity:
        raise ValidationError({"survey": [_("Your browser must accept cookies to answer.")]})
    questions = {q.pk: q for q in survey.questions.all()}
    clean: dict[int, str] = {}
    for pk, raw in answers.items():
        question = questions.get(pk)
        value = (raw or "").strip()
        if question is None or not value:
            continue
        if question.kind == QuestionKind.SCALE and value not in {"1", "2", "3", "4", "5"}:
            raise ValidationError({f"q{pk}": [_("Give a score from 1 to 5.")]})
        if question.kind == QuestionKind.YES_NO and value not in {"yes", "no"}:
            raise ValidationError({f"q{pk}": [_("Answer yes or no.")]})
        if question.kind == QuestionKind.CHOICE and value not in {
            c["value"] for c in question.choices
        }:
            raise ValidationError({f"q{pk}": [_("Choose one of the answers.")]})
        clean[pk] = value
    if not clean:
        raise ValidationError({"survey": [_("Answer at least one question.")]})
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, respondent=respondent_key(survey, identity)
            )
            SurveyAnswer.objects.bulk_create(
                SurveyAnswer(response=response, question_id=pk, value=v) for pk, v in clean.items()
            )
    except IntegrityError:
        raise ValidationError({"survey": [_("You have already answered this survey.")]}) from None
    return response

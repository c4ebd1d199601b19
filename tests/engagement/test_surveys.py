"""Trust and satisfaction surveys: anonymous, once per person, results with intervals, and a
trust index per district over time."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qurb.accounts.models import User
from qurb.areas.models import Area
from qurb.engagement.models import QuestionKind, Survey, SurveyResponse
from qurb.engagement.selectors import survey_results, trust_index, wilson
from qurb.engagement.services import survey_answer, survey_open
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

MEDINA = "032310107"


def _survey() -> Survey:
    today = timezone.localdate()
    return survey_open(
        area=Area.objects.get(code=MEDINA),
        opens_on=today,
        closes_on=today + timedelta(days=30),
        actor=User.objects.get(username="chief.medina"),
    )


def test_wilson_interval_matches_the_textbook() -> None:
    low, high = wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)
    assert wilson(0, 0) == (0.0, 1.0)


def test_answers_once_results_and_trust_index() -> None:
    survey = _survey()
    questions = list(survey.questions.all())
    trust = [q for q in questions if q.measures_trust]
    yes_no = next(q for q in questions if q.kind == QuestionKind.YES_NO)
    scores = [5, 4, 4, 3, 5, 2, 4, 4]
    for i, score in enumerate(scores):
        survey_answer(
            survey=survey,
            answers={trust[0].pk: str(score), yes_no.pk: "yes" if i < 6 else "no"},
            identity=f"device-{i}",
        )
    with pytest.raises(ValidationError):
        survey_answer(survey=survey, answers={trust[0].pk: "5"}, identity="device-0")
    with pytest.raises(ValidationError):
        survey_answer(survey=survey, answers={trust[0].pk: "9"}, identity="device-x")
    with pytest.raises(ValidationError):
        survey_answer(survey=survey, answers={}, identity="device-y")
    assert SurveyResponse.objects.filter(survey=survey).count() == len(scores)
    # Nothing links a response to a person: the key is a keyed hash.
    assert not SurveyResponse.objects.filter(respondent__contains="device").exists()
    results = {r.question.pk: r for r in survey_results(survey)}
    first = results[trust[0].pk].score
    assert first is not None
    assert first.mean == pytest.approx(sum(scores) / len(scores))
    assert first.low is not None
    assert first.mean is not None
    assert first.high is not None
    assert first.low < first.mean < first.high
    shares = results[yes_no.pk].shares
    assert shares is not None
    assert (shares[0].count, shares[1].count) == (6, 2)
    assert shares[0].low < 0.75 < shares[0].high
    index = trust_index(Area.objects.get(code=MEDINA))
    assert len(index) == 1
    assert index[0].n == len(scores)
    assert index[0].index == pytest.approx((sum(scores) / len(scores) - 1) / 4 * 100, abs=0.1)


def test_survey_pages_answer_once_per_device_and_scope() -> None:
    survey = _survey()
    trust = survey.questions.filter(measures_trust=True).first()
    assert trust is not None
    resident = Client()
    page = resident.get(reverse("neighbourhoods:survey", args=[survey.pk]))
    assert page.status_code == 200
    answer = {f"q{trust.pk}": "4"}
    done = resident.post(reverse("neighbourhoods:survey", args=[survey.pk]), answer)
    assert done.status_code == 302
    again = resident.post(
        reverse("neighbourhoods:survey", args=[survey.pk]), answer, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert again.status_code == 400
    assert "already answered" in again.content.decode()
    results = Client().get(
        reverse("neighbourhoods:survey_results", args=[survey.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "4.0 / 5" in results.content.decode()
    hood_page = Client().get(reverse("neighbourhoods:detail", args=[survey.area_id]))
    assert 'id="trust-index"' in hood_page.content.decode()
    with pytest.raises(PermissionDenied):
        survey_open(
            area=survey.area,
            opens_on=timezone.localdate(),
            closes_on=timezone.localdate(),
            actor=User.objects.get(username="chief.agdal"),
        )
    assert (
        signed_in("chief.agdal")
        .post(reverse("neighbourhoods:survey_open", args=[survey.area_id]))
        .status_code
        == 404
    )

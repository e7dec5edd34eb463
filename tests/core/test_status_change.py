import pytest

from core.models import StatusChange
from festival.models import FestivalEvent
from merchants.models import CertificateEvent, ParticipationEvent
from promotions.models import PromotionEvent

HISTORIES = [FestivalEvent, ParticipationEvent, CertificateEvent, PromotionEvent]


@pytest.mark.parametrize("model", HISTORIES, ids=lambda m: m.__name__)
def test_every_history_has_the_same_fields_and_indexes(model):
    fields = {f.name: f for f in model._meta.get_fields() if f.concrete and not f.primary_key}

    assert issubclass(model, StatusChange)
    assert set(fields) - {model.subject_field} == {"from_status", "to_status", "actor", "note", "created_at"}
    assert fields["created_at"].db_index and fields[model.subject_field].db_index
    assert fields[model.subject_field].remote_field.related_name == "events"
    assert model._meta.ordering == ["created_at", "pk"]


@pytest.mark.parametrize("model", HISTORIES, ids=lambda m: m.__name__)
def test_statuses_are_limited_to_the_objects_own(model):
    subject = model._meta.get_field(model.subject_field).related_model
    statuses = {value for value, _label in subject._meta.get_field("status").choices}

    assert {value for value, _label in model._meta.get_field("to_status").choices} == statuses

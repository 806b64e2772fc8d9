"""The directory API (调解组织与调解员名录): add, change and retire committees and mediators.

The lists are GET /committees and GET /mediators (api.py). These writes need `mediation.edit_committees`
(the district operator for the district, a street operator for their street): 403 without it. A committee or
mediator outside the caller's area answers 404; bad input 422 naming every faulty field; retiring twice 409.
Nothing changes on any refusal. Each write is one operation of services_directory.py (one audit row).
"""
from django.http import Http404
from ninja import Field, Schema, Status
from ninja.errors import HttpError

from wangge.core.api_errors import field_errors
from wangge.core.ids import MAX_ID, as_row_id
from wangge.core.numbers import RowId
from wangge.core.services import FieldErrors, NotAllowed, OperationError, require
from wangge.mediation import services_directory as directory

# The writes sit on the mediation router itself: a path (/committees) answers from one router only, and the
# lists are there. wangge/api.py mounts that router through this module, so these are on it.
from wangge.mediation.api import router
from wangge.mediation.models import Committee, Mediator
from wangge.mediation.schemas import CommitteeOut, MediatorOut


class CommitteeIn(Schema):
    name: str = Field(max_length=100)
    kind: str = Field("peoples", description="peoples, industry, administrative, judicial or office")
    level: str = Field(description="community, street, district or industry")
    region: str = Field(max_length=32, description="the code of the region it serves, in the caller's area")
    dispute_types: list[str] = Field(default_factory=list, max_length=20, description="empty: any type")
    phone: str = Field("", max_length=32)
    address: str = Field("", max_length=200)


class CommitteePatch(Schema):
    name: str | None = Field(None, max_length=100)
    kind: str | None = None
    level: str | None = None
    region: str | None = Field(None, max_length=32)
    dispute_types: list[str] | None = Field(None, max_length=20)
    phone: str | None = Field(None, max_length=32)
    address: str | None = Field(None, max_length=200)


class MediatorIn(Schema):
    name: str = Field(max_length=50)
    region: str = Field(max_length=32, description="the code of their community, street or district")
    phone: str = Field("", max_length=20)
    title: str = Field("", max_length=50)
    expertise: list[str] = Field(default_factory=list, max_length=20, description="dispute types")
    languages: list[str] = Field(default_factory=list, max_length=10)
    committees: list[int] = Field(default_factory=list, max_length=50,
                                  description="ids of active committees in the caller's area")
    user: int | None = Field(None, ge=1, le=MAX_ID, description="their mediator account, if any")


class MediatorPatch(Schema):
    name: str | None = Field(None, max_length=50)
    region: str | None = Field(None, max_length=32)
    phone: str | None = Field(None, max_length=20)
    title: str | None = Field(None, max_length=50)
    expertise: list[str] | None = Field(None, max_length=20)
    languages: list[str] | None = Field(None, max_length=10)
    committees: list[int] | None = Field(None, max_length=50)
    user: int | None = Field(None, ge=1, le=MAX_ID)


def _run(call):
    """The HTTP answer of an operation's refusal (see the module docstring)."""
    try:
        return call()
    except NotAllowed as exc:
        raise HttpError(403, exc.message)
    except FieldErrors as exc:
        raise field_errors("body", exc.errors)
    except OperationError as exc:
        if exc.field in ("committee", "mediator"):
            raise Http404
        raise HttpError(409, exc.message)


def _committee(request, id: int) -> Committee:
    found = Committee.objects.visible_to(request.user).select_related("region").filter(pk=as_row_id(id)).first()
    if found is None:
        raise Http404
    return found


def _mediator(request, id: int) -> Mediator:
    found = Mediator.objects.visible_to(request.user).filter(pk=as_row_id(id)).first()
    if found is None:
        raise Http404
    return found


def _shown(mediator: Mediator) -> Mediator:
    mediator = Mediator.objects.select_related("region").prefetch_related("memberships").get(pk=mediator.pk)
    mediator.label = mediator.name
    return mediator


def _refuse_without_permission(request):
    """403 before anything else is looked at: no hint of what exists to those who may not write."""
    _run(lambda: require(request.user, directory.PERMISSION))


@router.post("/committees", response={201: CommitteeOut}, summary="Add a mediation committee 新增调解组织")
def create_committee(request, payload: CommitteeIn):
    _refuse_without_permission(request)
    committee = _run(lambda: directory.do_create_committee(request.user, **payload.dict()))
    return Status(201, committee)


@router.patch("/committees/{id}", response=CommitteeOut, summary="Change a mediation committee 修改调解组织")
def update_committee(request, id: RowId, payload: CommitteePatch):
    _refuse_without_permission(request)
    committee = _committee(request, id)
    changes = payload.dict(exclude_unset=True)
    return _run(lambda: directory.do_update_committee(request.user, committee, **changes))


@router.post("/committees/{id}/retire", response=CommitteeOut, summary="Retire a mediation committee 撤销调解组织")
def retire_committee(request, id: RowId):
    _refuse_without_permission(request)
    committee = _committee(request, id)
    return _run(lambda: directory.do_retire_committee(request.user, committee))


@router.post("/mediators", response={201: MediatorOut}, summary="Add a mediator 新增调解员")
def create_mediator(request, payload: MediatorIn):
    _refuse_without_permission(request)
    mediator = _run(lambda: directory.do_create_mediator(request.user, **payload.dict()))
    return Status(201, _shown(mediator))


@router.patch("/mediators/{id}", response=MediatorOut, summary="Change a mediator 修改调解员")
def update_mediator(request, id: RowId, payload: MediatorPatch):
    _refuse_without_permission(request)
    mediator = _mediator(request, id)
    changes = payload.dict(exclude_unset=True)
    return _shown(_run(lambda: directory.do_update_mediator(request.user, mediator, **changes)))


@router.post("/mediators/{id}/retire", response=MediatorOut, summary="Retire a mediator 撤销调解员")
def retire_mediator(request, id: RowId):
    _refuse_without_permission(request)
    mediator = _mediator(request, id)
    return _shown(_run(lambda: directory.do_retire_mediator(request.user, mediator)))

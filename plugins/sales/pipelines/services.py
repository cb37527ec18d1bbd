"""Pipelines and stages: the rules an administrator's edits follow.

One pipeline is the default (the kanban opens on it; a new opportunity without a pipeline
goes there). A stage names the opportunity fields it requires (``REQUIRED_FIELD_CHOICES``);
a stage that holds opportunities cannot be deleted, nor a pipeline that has any. Stages are
kept in order within their pipeline (``position`` 0, 1, 2...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crm_core.toolkit import DomainError

from ..models import STAGE_KINDS, Opportunity, Pipeline, Stage

#: The opportunity fields a stage may require before an opportunity enters it.
REQUIRED_FIELD_CHOICES = (
    ("amount", _l("Amount")), ("expected_close_date", _l("Expected close date")),
    ("next_step", _l("Next step")), ("competitors", _l("Competitors")),
    ("source", _l("Source")), ("lost_reason", _l("Lost reason")),
)
REQUIRED_FIELDS = tuple(name for name, _label in REQUIRED_FIELD_CHOICES)
ROT_DAYS_MAX = 3650


class PipelineError(DomainError):
    """A refused pipeline or stage edit; ``field`` names the field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


def field_label(name: str) -> str:
    """The translated label of a field a stage may require."""
    return str(dict(REQUIRED_FIELD_CHOICES).get(name, name))


def default_pipeline(session: Session) -> Pipeline | None:
    """The default pipeline (else the first active one, else None)."""
    return session.scalar(select(Pipeline).where(Pipeline.active.is_(True))
                          .order_by(Pipeline.is_default.desc(), Pipeline.position,
                                    Pipeline.id).limit(1))


def stages_of(session: Session, pipeline_id: int) -> list[Stage]:
    """The stages of a pipeline in their order."""
    return list(session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id)
                                .order_by(Stage.position, Stage.id)))


def first_open_stage(session: Session, pipeline_id: int) -> Stage | None:
    """Where a new opportunity of the pipeline starts: its first open stage."""
    return session.scalar(select(Stage).where(Stage.pipeline_id == pipeline_id,
                                              Stage.kind == "open")
                          .order_by(Stage.position, Stage.id).limit(1))


def find_stage(session: Session, pipeline_id: int, wanted: Any) -> Stage | None:
    """The stage of the pipeline named by ``wanted``: its id (int or digits) or its name."""
    if isinstance(wanted, bool):
        return None
    found = select(Stage).where(Stage.pipeline_id == pipeline_id)
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.strip().isdigit()
                                   and len(wanted.strip()) < 11):
        return session.scalar(found.where(Stage.id == int(wanted)))
    if isinstance(wanted, str) and wanted.strip():
        return session.scalar(found.where(Stage.name == wanted.strip()[:100]))
    return None


def _name(name: Any, what: str) -> str:
    text = str(name or "").strip()
    if not text:
        raise PipelineError(_("Enter a name."), "name")
    if len(text) > 100:
        raise PipelineError(_("At most 100 characters."), "name")
    return text


def _unset_other_defaults(session: Session, pipeline: Pipeline) -> None:
    session.execute(update(Pipeline).where(Pipeline.id != pipeline.id,
                                           Pipeline.is_default.is_(True))
                    .values(is_default=False))


def _check_pipeline_name(session: Session, name: str, pipeline_id: int | None) -> None:
    with session.no_autoflush:
        clash = session.scalar(select(Pipeline.id).where(Pipeline.name == name))
    if clash is not None and clash != pipeline_id:
        raise PipelineError(_("A pipeline of this name exists already."), "name")


def create_pipeline(session: Session, values: dict[str, Any]) -> Pipeline:
    """A new pipeline (the default one when asked or when it is the first)."""
    name = _name(values.get("name"), "pipeline")
    _check_pipeline_name(session, name, None)
    position = session.scalar(select(func.coalesce(func.max(Pipeline.position), -1))) + 1
    first = session.scalar(select(func.count(Pipeline.id))) == 0
    pipeline = Pipeline(name=name, description=str(values.get("description") or ""),
                        is_default=bool(values.get("is_default")) or first,
                        active=values.get("active", True) is not False, position=position)
    session.add(pipeline)
    session.flush()
    if pipeline.is_default:
        _unset_other_defaults(session, pipeline)
    return pipeline


def update_pipeline(session: Session, pipeline: Pipeline, values: dict[str, Any]) -> Pipeline:
    """Change a pipeline; making it the default takes the mark off the others, and the only
    default cannot be unmarked (choose another one instead)."""
    if "name" in values:
        name = _name(values["name"], "pipeline")
        _check_pipeline_name(session, name, pipeline.id)
        pipeline.name = name
    if "description" in values:
        pipeline.description = str(values["description"] or "")
    if "active" in values and values["active"] is not None:
        if not values["active"] and pipeline.is_default:
            raise PipelineError(_("The default pipeline stays active; make another one "
                                  "the default first."), "active")
        pipeline.active = bool(values["active"])
    if "is_default" in values and values["is_default"] is not None:
        if values["is_default"]:
            pipeline.is_default = True
            pipeline.active = True
            session.flush()
            _unset_other_defaults(session, pipeline)
        elif pipeline.is_default:
            raise PipelineError(_("One pipeline is the default: make another one the "
                                  "default instead."), "is_default")
    session.flush()
    return pipeline


def opportunities_in(session: Session, *, stage_id: int | None = None,
                     pipeline_id: int | None = None) -> int:
    """How many opportunities (deleted ones too: they may come back) a stage or pipeline
    holds."""
    found = select(func.count(Opportunity.id))
    if stage_id is not None:
        found = found.where(Opportunity.stage_id == stage_id)
    if pipeline_id is not None:
        found = found.where(Opportunity.pipeline_id == pipeline_id)
    return int(session.scalar(found) or 0)


def delete_pipeline(session: Session, pipeline: Pipeline) -> None:
    """Delete a pipeline without opportunities (not the default one)."""
    if pipeline.is_default:
        raise PipelineError(_("The default pipeline cannot be deleted; make another one the "
                              "default first."))
    held = opportunities_in(session, pipeline_id=pipeline.id)
    if held:
        raise PipelineError(ngettext(
            "The pipeline holds %(num)d opportunity; delete or move it first.",
            "The pipeline holds %(num)d opportunities; delete or move them first.", held))
    session.delete(pipeline)
    session.flush()


def clean_required(names: Iterable[Any] | None) -> list[str]:
    """The required fields as stored: known names only, in the canonical order."""
    given = [str(name).strip() for name in names or () if str(name).strip()]
    unknown = [name for name in given if name not in REQUIRED_FIELDS]
    if unknown:
        raise PipelineError(_("Not a field a stage can require: %(names)s. Choose from "
                              "%(known)s.", names=", ".join(unknown),
                              known=", ".join(REQUIRED_FIELDS)), "required_fields")
    return [name for name in REQUIRED_FIELDS if name in given]


def _stage_values(session: Session, stage: Stage, values: dict[str, Any]) -> None:
    if "name" in values:
        stage.name = _name(values["name"], "stage")
    if values.get("probability") is not None:
        probability = values["probability"]
        if not isinstance(probability, int) or not 0 <= probability <= 100:
            raise PipelineError(_("A probability from 0 to 100."), "probability")
        stage.probability = probability
    if values.get("kind") is not None:
        if values["kind"] not in STAGE_KINDS:
            raise PipelineError(_("Not a valid choice."), "kind")
        if stage.id is not None and values["kind"] != stage.kind and \
                opportunities_in(session, stage_id=stage.id):
            raise PipelineError(_("The stage holds opportunities: its kind cannot change "
                                  "(add a new stage instead)."), "kind")
        stage.kind = values["kind"]
    if "required_fields" in values:
        stage.required_fields = clean_required(values["required_fields"])
    if "rot_days" in values:
        rot = values["rot_days"]
        if rot is not None and (not isinstance(rot, int) or not 1 <= rot <= ROT_DAYS_MAX):
            raise PipelineError(_("Between 1 and %(max)d days, or empty.", max=ROT_DAYS_MAX),
                                "rot_days")
        stage.rot_days = rot


def _check_stage_name(session: Session, stage: Stage) -> None:
    with session.no_autoflush:
        clash = session.scalar(select(Stage.id).where(Stage.pipeline_id == stage.pipeline_id,
                                                      Stage.name == stage.name))
    if clash is not None and clash != stage.id:
        raise PipelineError(_("The pipeline has a stage of this name already."), "name")


def create_stage(session: Session, values: dict[str, Any]) -> Stage:
    """A new stage at the end of its pipeline (probability defaults by kind)."""
    pipeline_id = values.get("pipeline_id")
    if not isinstance(pipeline_id, int) or session.get(Pipeline, pipeline_id) is None:
        raise PipelineError(_("Choose a pipeline."), "pipeline_id")
    position = session.scalar(select(func.coalesce(func.max(Stage.position), -1))
                              .where(Stage.pipeline_id == pipeline_id)) + 1
    stage = Stage(pipeline_id=pipeline_id, position=position, kind="open", probability=0,
                  required_fields=[])
    _stage_values(session, stage, {"kind": "open", **values})
    if values.get("probability") is None:
        stage.probability = {"won": 100, "lost": 0}.get(stage.kind, 0)
    _check_stage_name(session, stage)
    session.add(stage)
    session.flush()
    return stage


def update_stage(session: Session, stage: Stage, values: dict[str, Any]) -> Stage:
    """Change a stage (it stays in its pipeline)."""
    moved = values.get("pipeline_id")
    if moved is not None and moved != stage.pipeline_id:
        raise PipelineError(_("A stage stays in its pipeline: add one to the other pipeline "
                              "instead."), "pipeline_id")
    _stage_values(session, stage, values)
    _check_stage_name(session, stage)
    session.flush()
    return stage


def delete_stage(session: Session, stage: Stage) -> None:
    """Delete a stage that holds no opportunity (else a message saying how many it holds)."""
    held = opportunities_in(session, stage_id=stage.id)
    if held:
        raise PipelineError(ngettext(
            "The stage “%(name)s” holds %(num)d opportunity: move it to another stage "
            "before deleting the stage.",
            "The stage “%(name)s” holds %(num)d opportunities: move them to another stage "
            "before deleting the stage.", held, name=stage.name))
    pipeline_id = stage.pipeline_id
    session.delete(stage)
    session.flush()
    renumber(session, pipeline_id)


def renumber(session: Session, pipeline_id: int) -> None:
    """Positions 0, 1, 2... in the current order."""
    for position, stage in enumerate(stages_of(session, pipeline_id)):
        if stage.position != position:
            stage.position = position
    session.flush()


def move_stage(session: Session, stage: Stage, step: int) -> None:
    """Move a stage ``step`` places within its pipeline (negative: towards the start)."""
    stages = stages_of(session, stage.pipeline_id)
    index = next(i for i, item in enumerate(stages) if item.id == stage.id)
    target = max(0, min(len(stages) - 1, index + step))
    stages.insert(target, stages.pop(index))
    for position, item in enumerate(stages):
        if item.position != position:
            item.position = position
    session.flush()

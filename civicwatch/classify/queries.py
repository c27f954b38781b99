"""Reading what the classifier needs from the database: gazetteer terms and staff corrections."""
from __future__ import annotations

from sqlalchemy import func, select

from civicwatch.audit.models import AuditEntry
from civicwatch.classify.gazetteer import GazetteerTerms, normalised_terms
from civicwatch.classify.models import LabelledExample
from civicwatch.extensions import db
from civicwatch.taxonomy.models import Actor, District, Region, Theme


def gazetteer_terms() -> GazetteerTerms:
    """Actor, region and district terms as the taxonomy in the database has them now (names included)."""
    actors = list(db.session.scalars(select(Actor).order_by(Actor.code)))
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    districts = list(db.session.scalars(select(District).order_by(District.code)))
    region_codes = {region.id: region.code for region in regions}
    return GazetteerTerms(
        actors={actor.code: normalised_terms(actor.terms, actor.name) for actor in actors},
        actor_generic={actor.code: normalised_terms(actor.generic_terms, None) for actor in actors},
        actor_places={actor.code: normalised_terms(actor.place_terms, None) for actor in actors},
        regions={region.code: normalised_terms(region.terms, region.name) for region in regions},
        districts={district.code: normalised_terms(district.terms, district.name) for district in districts},
        district_regions={district.code: region_codes[district.region_id] for district in districts
                          if district.region_id in region_codes},
    )


def theme_codes() -> set[str]:
    """Every theme's code, retired ones too (routing sends a case read as a retired theme to triage)."""
    return set(db.session.scalars(select(Theme.code)))


def waiting_theme_corrections() -> list[LabelledExample]:
    """Theme corrections no model has been trained on yet, oldest first."""
    return list(db.session.scalars(
        select(LabelledExample)
        .where(LabelledExample.field == "theme", LabelledExample.used_in_model.is_(None))
        .order_by(LabelledExample.id)
    ))


def count_waiting_corrections() -> int:
    return db.session.scalar(
        select(func.count()).select_from(LabelledExample)
        .where(LabelledExample.field == "theme", LabelledExample.used_in_model.is_(None))
    ) or 0


def all_theme_corrections() -> list[LabelledExample]:
    """Every theme correction, used or not: a new model learns from all of them, not only the new ones."""
    return list(db.session.scalars(
        select(LabelledExample).where(LabelledExample.field == "theme").order_by(LabelledExample.id)
    ))


# The audit actions that say which model is active, and the one that says an activation did not happen.
MODEL_SWITCHES = ("model.activate", "model.train", "model.active_corrected")
MODEL_SWITCH_FAILED = "model.activate_failed"


def model_switch_entries() -> list[AuditEntry]:
    """The audit entries of every activation, training, failed switch and correction, oldest first (a handful a
    year)."""
    actions = (*MODEL_SWITCHES, MODEL_SWITCH_FAILED)
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(actions)).order_by(AuditEntry.id)))

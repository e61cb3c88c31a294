"""Registry: divisions, organisations, parks and tenants, people. Other domains use what is named here."""

from lishui.registry.models import Division, Organisation, OrganisationTag, Park, ParkTenancy, Person
from lishui.registry.service import (
    get_organisation,
    get_organisation_unscoped,
    jurisdictions,
    scope_orgs,
)
from lishui.registry.vocab import CITY_CODE, COUNTIES, ORG_KINDS, ORG_TAGS, ZONE_CODE

__all__ = [
    "CITY_CODE",
    "COUNTIES",
    "ORG_KINDS",
    "ORG_TAGS",
    "ZONE_CODE",
    "Division",
    "Organisation",
    "OrganisationTag",
    "Park",
    "ParkTenancy",
    "Person",
    "get_organisation",
    "get_organisation_unscoped",
    "jurisdictions",
    "scope_orgs",
]

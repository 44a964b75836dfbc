"""The four per-space pick lists of the CRM, declared once each.

Business fields, company sizes, company revenues and tags differ only in their path, table and
label column (`name` or `title`). Everything else — table, resource, listing, service and
router — is produced from these specs by one factory per layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from kanbert.kit.schemas import RequestBody
from kanbert.lookups.schemas import BusinessFieldData, NameBody, TagData, TitleBody


@dataclass(frozen=True)
class LookupSpec:
    path: str  # URL segment below /api/v1, also the list's cursor key: "business-fields"
    model_name: str  # class name of the generated table model: "BusinessField"
    label: str  # the one editable column: "name" or "title"
    noun: str  # for messages: "business field"
    data: type[BaseModel]  # response schema
    body: type[RequestBody]  # create and update body: the label, required

    @property
    def table(self) -> str:
        return self.path.replace("-", "_")


BUSINESS_FIELDS = LookupSpec(
    "business-fields", "BusinessField", "name", "business field", BusinessFieldData, NameBody
)
COMPANY_SIZES = LookupSpec(
    "company-sizes", "CompanySize", "title", "company size", TagData, TitleBody
)
COMPANY_REVENUES = LookupSpec(
    "company-revenues", "CompanyRevenue", "title", "company revenue", TagData, TitleBody
)
TAGS = LookupSpec("tags", "Tag", "title", "tag", TagData, TitleBody)

"""Who the school is, as its door knows it: the catalog never imports tenancy, so the
request's (or the command's) school reaches it as this plain value."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SchoolIdentity:
    """Who the school is, as its door knows it (the request's or the command's school)."""

    siiir_code: str
    name: str
    cui: str
    county: str
    locality: str

    @classmethod
    def of(cls, school) -> "SchoolIdentity":
        """From any object with the school's fields (the tenant)."""
        return cls(
            siiir_code=school.siiir_code or "", name=school.name, cui=school.cui, county=school.county,
            locality=school.locality,
        )  # fmt: skip

"""Region -> country catalogue. Residency is decided by country, never by region name."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import pycountry

from luxguard.core.datafiles import DATA_DIR, read_yaml, validate
from luxguard.core.errors import LuxguardError
from luxguard.core.schema_errors import summary

BUILTIN_LOCATIONS = DATA_DIR / "locations.yaml"
SCHEMA = DATA_DIR / "locations.schema.json"
DEFAULT_PINNED_COUNTRY = "LU"
# Where account-wide calls (STS, S3 bucket listing, Organizations) go when nothing else says.
DEFAULT_HOME_REGION = "lu-central-1"


def is_country(code: str) -> bool:
    """An assigned ISO 3166-1 alpha-2 code, in capitals as the catalogue writes them."""
    return len(code) == 2 and code.isascii() and code.isupper() and pycountry.countries.get(alpha_2=code) is not None


def unknown_countries(codes: Iterable[tuple[str, str]]) -> list[str]:
    """Problems ('field PATH: ...') for (field path, code) pairs that are not assigned ISO codes:
    a typo'd country matches no region, so it would silently never apply."""
    return [f'field {where}: "{code}" is not an assigned ISO 3166-1 alpha-2 country code'
            for where, code in codes if not is_country(code)]


def country_code(value: str, what: str = "--pinned-country") -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased (`lu` is LU: residency compares codes exactly,
    so a lower-case pin would put every Luxembourg resource outside); anything else is refused."""
    code = value.strip().upper()
    if is_country(code):
        return code
    try:
        guess = pycountry.countries.lookup(value.strip())   # a name or alpha-3 code: say which code it is
        hint = f" (did you mean {guess.alpha_2}, {guess.name}?)"
    except LookupError:
        hint = ""
    raise LuxguardError(f"{what} {value!r}: not an ISO 3166-1 alpha-2 country code{hint}; give e.g. LU, DE or IE")


@dataclass(frozen=True)
class Locations:
    """Maps regions to ISO country codes; an unknown region maps to None (outside everywhere)."""

    countries: dict[str, str] = field(default_factory=dict)

    def country_of(self, region: Optional[str]) -> Optional[str]:
        return self.countries.get(region) if region else None

    def is_in(self, region: Optional[str], country: str) -> bool:
        """True only for a known region in `country`; unknown regions are outside."""
        return self.country_of(region) == country

    def regions_in(self, country: str) -> list[str]:
        return sorted(r for r, c in self.countries.items() if c == country)

    @property
    def regions(self) -> list[str]:
        return sorted(self.countries)


def _read(path: Path) -> dict[str, str]:
    document = validate(read_yaml(path), SCHEMA, str(path))
    entries = document["locations"]
    problems = unknown_countries((f"locations.{i}.country", e["country"]) for i, e in enumerate(entries))
    if problems:
        raise LuxguardError(summary(str(path), problems))
    return {entry["region"]: entry["country"] for entry in entries}


def load_locations(extra_files: Iterable[Path] = ()) -> Locations:
    """The built-in catalogue plus users' files; later files override earlier entries."""
    countries = _read(BUILTIN_LOCATIONS)
    for path in extra_files:
        countries.update(_read(Path(path)))
    return Locations(countries)

"""The README's "Supported resource types" table names, for every registered type, exactly the
rules that judge it: derived from the catalogue here, so a new rule or type cannot leave it stale."""

from __future__ import annotations

import re
from pathlib import Path

from luxguard.core.rules import load_rules
from luxguard.resources import resource_types

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| `(AWS::[A-Za-z0-9:]+)`[^|]*\| [^|]+ \| ([A-Z0-9 -]+) \|$", re.M)


def test_the_table_lists_every_type_and_exactly_its_rules():
    section = README.read_text(encoding="utf-8").split("### Supported resource types", 1)[1].split("\n### ", 1)[0]
    table = {m.group(1): sorted(m.group(2).split()) for m in ROW.finditer(section)}
    rules = load_rules()
    expected = {rtype: sorted(r.id for r in rules if rtype in r.resource_types) for rtype in resource_types()}
    assert table == {t: ids for t, ids in expected.items() if ids}

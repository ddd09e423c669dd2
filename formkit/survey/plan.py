"""The survey sampling plan: how many questionnaires go out per unit × respondent group.

Quotas are data (a YAML file named by `sampling:` in campaign.yaml) because they change every year
with the city's plan. Three layers, most specific last: defaults, per group, per unit × group. A
quota may instead be derived from a population size N with the national rule n = N / (1 + N·e²).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from formkit.errors import InvalidDataError, WorkspaceError
from formkit.findings import Code, Finding, has_errors, sort_findings
from formkit.survey.questionnaire import Survey
from formkit.units import UNIT_TYPES, Unit, sort_units
from formkit.workspace import SETTINGS_FILE, Workspace
from formkit.yamlsrc import FieldReader, YList, YMap, load_yaml

ROOT_KEYS = ("sampling", "by_group", "by_unit")
DEFAULT_KEYS = ("quota", "min_valid")
GROUP_KEYS = ("group", "unit_type", "quota", "min_valid")
UNIT_KEYS = ("unit", "group", "quota", "min_valid", "population")
# Serial numbers are "<unit>-<group>-<number>-<check>": a unit code must not hide a separator.
SERIAL_SAFE_UNIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")


@dataclass(frozen=True)
class PlanRow:
    unit: str
    unit_type: str
    group: str
    quota: int  # questionnaires issued
    min_valid: int  # fewer valid answers flag the unit × group as short of sample
    population: int | None = None
    derived: bool = False  # quota computed from the population

    def to_dict(self) -> dict:
        return {"unit": self.unit, "unit_type": self.unit_type, "group": self.group,
                "quota": self.quota, "min_valid": self.min_valid, "population": self.population,
                "derived": self.derived}


@dataclass(frozen=True)
class PlanTotal:
    unit_type: str
    group: str | None  # None: every group of the unit type
    units: int
    quota: int
    min_valid: int

    def to_dict(self) -> dict:
        return {"unit_type": self.unit_type, "group": self.group, "units": self.units,
                "quota": self.quota, "min_valid": self.min_valid}


@dataclass(frozen=True)
class Plan:
    campaign: str
    path: str
    margin_of_error: Decimal
    rows: tuple[PlanRow, ...]
    warnings: tuple[Finding, ...] = field(default=())

    @property
    def quota(self) -> int:
        return sum(r.quota for r in self.rows)

    def row(self, unit: str, group: str) -> PlanRow:
        for row in self.rows:
            if (row.unit, row.group) == (unit, group):
                return row
        raise WorkspaceError(f"Kế hoạch mẫu không có nhóm đối tượng '{group}' cho đơn vị '{unit}'.")

    def select(self, unit: str | None = None, group: str | None = None) -> list[PlanRow]:
        return [r for r in self.rows if unit in (None, r.unit) and group in (None, r.group)]

    def totals(self) -> list[PlanTotal]:
        """Per unit type × group in plan order, each unit type followed by its own total."""
        result = []
        for unit_type in UNIT_TYPES:
            rows = [r for r in self.rows if r.unit_type == unit_type]
            groups = list(dict.fromkeys(r.group for r in rows))
            for group in [*groups, None] if rows else []:
                chosen = [r for r in rows if group in (None, r.group)]
                result.append(PlanTotal(unit_type, group, len({r.unit for r in chosen}),
                                        sum(r.quota for r in chosen),
                                        sum(r.min_valid for r in chosen)))
        return result

    def to_dict(self) -> dict:
        return {"campaign": self.campaign, "path": self.path,
                "margin_of_error": format(self.margin_of_error, "f"), "quota": self.quota,
                "rows": [r.to_dict() for r in self.rows],
                "totals": [t.to_dict() for t in self.totals()],
                "warnings": [f.to_dict() for f in self.warnings]}


def derived_quota(population: int, margin_of_error: Decimal) -> int:
    """n = ceil(N / (1 + N·e²)), in exact fractions so that no rounding moves a quota by one."""
    e = Fraction(margin_of_error)
    return math.ceil(Fraction(population) / (1 + population * e * e))


def sampling_plan(workspace: Workspace) -> Plan:
    """The workspace's plan, or InvalidDataError listing every problem of the sampling file."""
    if not workspace.settings.sampling_file:
        raise WorkspaceError(
            "Chưa khai báo kế hoạch mẫu điều tra xã hội học: thêm dòng 'sampling: sampling.yaml' "
            f"vào {workspace.root / SETTINGS_FILE} và tạo tệp đó (mẫu: form_templates/sampling/).")
    plan, findings = check_sampling(workspace)
    if plan is None:
        raise InvalidDataError(f"Kế hoạch mẫu {sampling_path(workspace)} có lỗi, chưa dùng được.",
                               findings)
    return plan


def sampling_path(workspace: Workspace) -> Path:
    return workspace.root / workspace.settings.sampling_file


def check_sampling(workspace: Workspace, path: Path | None = None
                   ) -> tuple[Plan | None, list[Finding]]:
    """Validate a sampling file against the workspace's units and questionnaires.

    Returns the plan only when error-free; warnings come back with it.
    """
    path = path or sampling_path(workspace)
    data, findings = load_yaml(path)
    if data is None:
        return None, findings or [Code.MISSING_KEY(file=str(path), key="sampling")]
    settings = workspace.settings
    reader = _PlanReader(str(path), workspace.units, workspace.surveys)
    rows = reader.parse(data, settings.survey.margin_of_error, settings.survey.min_valid_per_group)
    findings += reader.findings + _unit_code_findings(workspace)
    if has_errors(findings) or rows is None:
        return None, sort_findings(findings)
    warnings = tuple(sort_findings(findings))
    return Plan(settings.campaign.id, str(path), settings.survey.margin_of_error, tuple(rows),
                warnings), list(warnings)


def _unit_code_findings(workspace: Workspace) -> list[Finding]:
    units_file = str(workspace.root / workspace.settings.units_file)
    return [Code.BAD_VALUE(file=units_file, item=u.code, key="code", value=u.code,
                           reason="mã đơn vị dùng trong số phiếu khảo sát chỉ gồm chữ cái không "
                                  "dấu, chữ số, dấu '.' và '_' (không dùng '-', '|' hay khoảng trắng)")
            for u in workspace.units
            if u.unit_type in workspace.surveys and not SERIAL_SAFE_UNIT.fullmatch(u.code)]


@dataclass
class _Layer:
    """One entry of the file: the values it sets and where it sets them."""

    quota: int | None = None
    min_valid: int | None = None
    population: int | None = None
    line: int = 0


class _PlanReader(FieldReader):
    def __init__(self, file: str, units: tuple[Unit, ...], surveys: dict[str, Survey]) -> None:
        super().__init__(file)
        self.units = {u.code: u for u in sort_units(units) if u.unit_type in surveys}
        self.groups = {t: [g.code for g in s.groups] for t, s in surveys.items()}
        self.reported: set[tuple[int, int, int]] = set()  # (line, min_valid, quota) said once

    def parse(self, data: object, margin: Decimal, default_min_valid: int) -> list[PlanRow] | None:
        root = self.mapping(data, "(tệp)", 1)
        if root is None:
            return None
        self.check_keys(root, ROOT_KEYS, ("sampling",))
        defaults = self._defaults(root)
        by_group = self._by_group(root)
        by_unit = self._by_unit(root)
        if defaults.quota is None:
            return None
        if defaults.min_valid is None:
            defaults.min_valid = default_min_valid
        return [self._row(unit, group, defaults, by_group, by_unit, margin)
                for unit in self.units.values() for group in self.groups[unit.unit_type]]

    def _count(self, m: YMap, key: str, item: str | None, minimum: int) -> int | None:
        value = self.integer(m, key, item)
        if value is not None and value < minimum:
            self.report(Code.BAD_VALUE, m.line_of(key), item, key=key, value=value,
                        reason=f"phải là số nguyên từ {minimum} trở lên")
            return None
        return value

    def _layer(self, m: YMap, item: str | None, keys: tuple[str, ...]) -> _Layer:
        return _Layer(self._count(m, "quota", item, 0), self._count(m, "min_valid", item, 0),
                      self._count(m, "population", item, 1) if "population" in keys else None,
                      m.line)

    def _defaults(self, root: YMap) -> _Layer:
        if "sampling" not in root:  # reported as a missing key already
            return _Layer()
        m = self.mapping(root["sampling"], "sampling", root.line_of("sampling"))
        if m is None:
            return _Layer()
        self.check_keys(m, DEFAULT_KEYS, ("quota",), item="sampling")
        return self._layer(m, "sampling", DEFAULT_KEYS)

    def _entries(self, root: YMap, key: str):
        items = self.sequence(root.get(key, YList()), key, root.line_of(key))
        for raw, line in zip(items or [], (items.item_lines if items else []), strict=True):
            m = self.mapping(raw, key, line)
            if m is not None:
                yield m

    def _by_group(self, root: YMap) -> dict[tuple[str | None, str], _Layer]:
        layers: dict[tuple[str | None, str], _Layer] = {}
        for m in self._entries(root, "by_group"):
            group, unit_type = self.text(m, "group"), self.text(m, "unit_type") or None
            self.check_keys(m, GROUP_KEYS, ("group",), item=group or None)
            types = [unit_type] if unit_type else list(self.groups)
            if unit_type and unit_type not in self.groups:
                self._unknown(m, "unit_type", unit_type, group, "không có bộ phiếu cho loại đơn vị "
                              f"này (các loại có bộ phiếu: {', '.join(self.groups)})")
            elif group and not any(group in self.groups[t] for t in types):
                self._unknown(m, "group", group, group, "không có nhóm đối tượng này trong bộ phiếu")
            elif group:
                self._keep(layers, (unit_type, group), self._layer(m, group, GROUP_KEYS), m, group)
        return layers

    def _by_unit(self, root: YMap) -> dict[tuple[str, str], _Layer]:
        layers: dict[tuple[str, str], _Layer] = {}
        for m in self._entries(root, "by_unit"):
            unit, group = self.text(m, "unit"), self.text(m, "group")
            item = f"{unit}/{group}"
            self.check_keys(m, UNIT_KEYS, ("unit", "group"), item=item)
            if unit and unit not in self.units:
                self._unknown(m, "unit", unit, item, "không có đơn vị mã này trong danh sách đơn vị "
                              "(hoặc loại đơn vị của nó chưa có bộ phiếu)")
            elif group and unit and group not in self.groups[self.units[unit].unit_type]:
                self._unknown(m, "group", group, item, "bộ phiếu của loại đơn vị này không có nhóm "
                              "đối tượng này")
            elif unit and group:
                layer = self._layer(m, item, UNIT_KEYS)
                if layer.quota is not None and layer.population is not None:
                    self.report(Code.BAD_VALUE, m.line_of("population"), item, key="population",
                                value=layer.population, reason="chỉ khai báo một trong hai: 'quota' "
                                "(số phiếu) hoặc 'population' (số đối tượng để tính số phiếu)")
                self._keep(layers, (unit, group), layer, m, item)
        return layers

    def _unknown(self, m: YMap, key: str, value: str, item: str, reason: str) -> None:
        self.report(Code.BAD_VALUE, m.line_of(key), item, key=key, value=value, reason=reason)

    def _keep(self, layers: dict, key: tuple, layer: _Layer, m: YMap, item: str) -> None:
        if key in layers:
            self.report(Code.BAD_VALUE, m.line, item, key="/".join(k or "*" for k in key),
                        value=item, reason=f"đã khai báo ở dòng {layers[key].line}")
        else:
            layers[key] = layer

    def _row(self, unit: Unit, group: str, defaults: _Layer, by_group: dict, by_unit: dict,
             margin: Decimal) -> PlanRow:
        layers = [defaults, by_group.get((None, group)), by_group.get((unit.unit_type, group)),
                  by_unit.get((unit.code, group))]
        layers = [layer for layer in layers if layer is not None]
        quota = next(x.quota for x in reversed(layers) if x.quota is not None)
        minimum = next(x.min_valid for x in reversed(layers) if x.min_valid is not None)
        own = by_unit.get((unit.code, group))
        population = own.population if own is not None else None
        if population is not None:
            quota = derived_quota(population, margin)
        if minimum > quota and (layers[-1].line, minimum, quota) not in self.reported:
            self.reported.add((layers[-1].line, minimum, quota))
            self.report(Code.BAD_VALUE, layers[-1].line, f"{unit.code}/{group}", key="min_valid",
                        value=minimum, reason=f"lớn hơn số phiếu phát ra ({quota}); đơn vị × nhóm "
                                              "này (và các đơn vị × nhóm khác cùng mức) không bao "
                                              "giờ đủ mẫu")
        return PlanRow(unit.code, unit.unit_type, group, quota, minimum, population,
                       population is not None)

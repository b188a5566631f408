"""The log-based metrics of terraform/monitoring.tf, read the way Cloud Logging reads them:
each metric's structured match (function, severity, message pattern, an extra comparison,
the value field of a distribution, the label fields) applied to one JSON log line as the
functions write it. The agreement tests feed it lines the code really wrote."""

import re
from typing import Any

from emulators import tfmodel

SEVERITIES = ["DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"]


def log_metrics() -> dict[str, dict[str, Any]]:
    """monitoring.tf's ``log_metrics``: name -> structured match."""
    return dict(tfmodel.unquote(tfmodel.load().locals["log_metrics"]))


def field(entry: dict[str, Any], path: str) -> Any:
    value: Any = entry
    for part in path.removeprefix("jsonPayload.").split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def matches(spec: dict[str, Any], entry: dict[str, Any]) -> bool:
    """The metric's filter (monitoring.tf log_metric_filters), read the way Cloud Logging reads it."""
    if spec["function"] and entry.get("function") != spec["function"]:
        return False
    op, level = re.fullmatch(r"(>=|=)(\w+)", spec["severity"]).groups()  # type: ignore[union-attr]
    severity = SEVERITIES.index(str(entry.get("severity", "DEFAULT")).upper()) if entry.get("severity") else -1
    if (op == "=" and severity != SEVERITIES.index(level)) or (op == ">=" and severity < SEVERITIES.index(level)):
        return False
    if spec["message"] and not re.search(spec["message"], str(entry.get("message", ""))):
        return False
    extra = spec.get("extra", "")
    if extra:
        path, op, want = re.fullmatch(r"(.+?)(>=|=)(.+)", extra).groups()  # type: ignore[union-attr]
        got = field(entry, path)
        if (op == "=" and str(got) != want) or (
            op == ">=" and not (isinstance(got, int | float) and got >= float(want))
        ):
            return False
    value = spec.get("value")
    if value and not (isinstance(field(entry, value), int | float) and not isinstance(field(entry, value), bool)):
        return False
    # resource.* labels are Cloud Run's, on every line; jsonPayload ones must be in the line
    return all(path.startswith("resource.") or field(entry, path) is not None for path in spec["labels"].values())

"""Reads what the local stack needs out of ``terraform/`` with python-hcl2.

Only the declarative parts are read (locals, variable defaults, resource arguments), never
evaluated as general HCL: enough to provision the emulators from the same definitions that
production is deployed from, and to test that code and Terraform agree.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import hcl2

TERRAFORM_DIR = Path(__file__).resolve().parent.parent / "terraform"


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"name"'); give the plain value back."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list):
        return [unquote(v) for v in value]
    return value


def _string_list(expression: str) -> list[str]:
    """Values of a literal list, possibly inside ``toset([...])``."""
    return re.findall(r'"([^"]*)"', expression)


def _top_level_arguments(arguments: str) -> list[str]:
    """Split a call's argument text at the commas outside brackets and strings."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(arguments):
        if char == '"' and arguments[i - 1 : i] != "\\":
            quoted = not quoted
        elif not quoted and char in "([{":
            depth += 1
        elif not quoted and char in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(arguments[start:i].strip())
            start = i + 1
    return [*parts, arguments[start:].strip()]


@dataclass(frozen=True)
class Subscription:
    name: str
    topic: str
    function: str
    ack_deadline_seconds: int
    message_ordering: bool
    dead_letter_topic: str
    max_delivery_attempts: int
    minimum_backoff_seconds: float
    maximum_backoff_seconds: float


@dataclass(frozen=True)
class Function:
    """One entry of ``local.functions`` (functions.tf), with the common environment merged in."""

    name: str
    entry_point: str
    memory: str
    cpu: str | None  # available_cpu; None: Cloud Run's default share for the memory
    concurrency: int  # max_instance_request_concurrency
    timeout_seconds: int
    max_instances: int
    public: bool
    env: dict[str, str]  # variable name -> value (variable default when it refers to one)
    secrets: dict[str, str]  # variable name -> Secret Manager secret id
    publishes: tuple[str, ...]
    firestore: bool
    bigquery: str  # "write", "read" or "none"


@dataclass(frozen=True)
class FirestoreIndex:
    collection: str
    fields: tuple[tuple[str, str], ...]  # (field path, "ASCENDING" | "DESCENDING")


@dataclass(frozen=True)
class BigQueryTable:
    name: str
    partition_field: str
    clustering: tuple[str, ...]
    schema: tuple[dict[str, Any], ...]  # terraform/schemas/<name>.json, BigQuery's JSON schema


@dataclass(frozen=True)
class TerraformModel:
    files: dict[str, dict[str, Any]]
    directory: Path = TERRAFORM_DIR

    def blocks(self, kind: str) -> list[dict[str, Any]]:
        return [block for parsed in self.files.values() for block in parsed.get(kind, [])]

    @property
    def locals(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for block in self.blocks("locals"):
            merged.update({k: v for k, v in block.items() if not k.startswith("__")})
        return merged

    @property
    def variables(self) -> dict[str, Any]:
        """Variable name -> default (None when it has none)."""
        out: dict[str, Any] = {}
        for block in self.blocks("variable"):
            for name, body in block.items():
                out[unquote(name)] = unquote(body.get("default"))
        return out

    @property
    def required_variables(self) -> set[str]:
        """Variables without a default, which every apply must be given (``default = null``
        is a default)."""
        return {
            unquote(name) for block in self.blocks("variable") for name, body in block.items() if "default" not in body
        }

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for block in self.blocks("resource"):
            for rtype, named in block.items():
                if unquote(rtype) == resource_type:
                    for name, body in named.items():
                        out[unquote(name)] = body
        return out

    def resolve(self, expression: Any) -> Any:
        """Resolve a bare ``${var.x}`` reference to its default; anything else unquoted."""
        if isinstance(expression, str):
            match = re.fullmatch(r"\$\{var\.([A-Za-z0-9_]+)\}", expression)
            if match:
                return self.variables[match.group(1)]
        return unquote(expression)

    @property
    def topics(self) -> list[str]:
        return _string_list(self.locals["topics"])

    @staticmethod
    def _takes(body: Mapping[str, Any], wants: Mapping[str, str], what: str) -> None:
        """Each argument of ``wants`` is ``each.value.<field>`` in the resource ``body``: the
        model reads the values from the locals, so a value written into the resource itself
        would deploy what no agreement test read."""
        for argument, field_name in wants.items():
            found = body.get(argument)
            if (found[0] if isinstance(found, list) and len(found) == 1 else found) != f"${{each.value.{field_name}}}":
                raise ValueError(f"{what}: {argument} must be each.value.{field_name}, not {found!r}")

    @property
    def subscriptions(self) -> dict[str, Subscription]:
        push = self.resources("google_pubsub_subscription")["push"]
        self._takes(
            push,
            {"ack_deadline_seconds": "ack_deadline_seconds", "enable_message_ordering": "message_ordering"},
            "google_pubsub_subscription.push",
        )
        dead_letter = push["dead_letter_policy"][0]
        retry = push["retry_policy"][0]
        dl_name_template = unquote(self.resources("google_pubsub_topic")["dead_letter"]["name"])
        out: dict[str, Subscription] = {}
        for raw_name, spec in unquote(self.locals["subscriptions"]).items():
            out[raw_name] = Subscription(
                name=raw_name,
                topic=spec["topic"],
                function=spec["function"],
                ack_deadline_seconds=int(spec["ack_deadline_seconds"]),
                message_ordering=bool(spec["message_ordering"]),
                dead_letter_topic=dl_name_template.replace("${each.key}", raw_name),
                max_delivery_attempts=int(self.resolve(dead_letter["max_delivery_attempts"])),
                minimum_backoff_seconds=float(str(self.resolve(retry["minimum_backoff"])).rstrip("s")),
                maximum_backoff_seconds=float(str(self.resolve(retry["maximum_backoff"])).rstrip("s")),
            )
        return out

    @property
    def dead_letter_holds(self) -> dict[str, str]:
        """Dead-letter topic -> the subscription that keeps its messages."""
        template = unquote(self.resources("google_pubsub_subscription")["dead_letter"]["name"])
        return {
            sub.dead_letter_topic: template.replace("${each.key}", name) for name, sub in self.subscriptions.items()
        }

    def mapping(self, expression: Any) -> dict[str, Any]:
        """A map argument as Terraform builds it: a literal map, ``local.<name>``, or
        ``merge(...)`` of those (later arguments win). Its values are left unresolved."""
        if isinstance(expression, dict):
            return {unquote(k): v for k, v in expression.items() if not str(k).startswith("__")}
        text = str(expression).strip()
        if text.startswith("${") and text.endswith("}"):
            text = text[2:-1].strip()
        if re.fullmatch(r"local\.[A-Za-z0-9_]+", text):
            return self.mapping(self.locals[text.removeprefix("local.")])
        if text.startswith("{"):
            return self.mapping(hcl2.loads(f"value = {text}")["value"])
        call = re.fullmatch(r"merge\((.*)\)", text, re.DOTALL)
        if call:
            merged: dict[str, Any] = {}
            for argument in _top_level_arguments(call.group(1)):
                merged.update(self.mapping(argument))
            return merged
        raise ValueError(f"cannot read {expression!r} as a map: tfmodel reads literals, local.<name> and merge()")

    def _env_value(self, expression: Any) -> str:
        """A variable's default, or the expression itself when it has none (``var.project_id``)."""
        value = self.resolve(expression)
        return str(expression if value is None else value)

    @property
    def functions(self) -> dict[str, Function]:
        resource = self.resources("google_cloudfunctions2_function").get("function")
        if resource is not None:  # absent only from a directory of locals alone (tests/unit/test_tfmodel.py)
            self._takes(resource["build_config"][0], {"entry_point": "entry_point"}, "function build_config")
            self._takes(
                resource["service_config"][0],
                {"available_memory": "memory", "timeout_seconds": "timeout", "max_instance_count": "max_instances"},
                "function service_config",
            )
        common = {k: self._env_value(v) for k, v in self.mapping(self.locals.get("common_env", {})).items()}
        out: dict[str, Function] = {}
        for name, raw in self.mapping(self.locals["functions"]).items():
            spec = unquote(raw)
            out[name] = Function(
                name=name,
                entry_point=spec["entry_point"],
                memory=spec["memory"],
                cpu=None if spec["cpu"] is None else str(spec["cpu"]),
                concurrency=int(spec["concurrency"]),
                timeout_seconds=int(spec["timeout"]),
                max_instances=int(spec["max_instances"]),
                public=bool(spec["public"]),
                env={**common, **{k: self._env_value(v) for k, v in self.mapping(raw["env"]).items()}},
                secrets={k: unquote(v) for k, v in self.mapping(raw["secrets"]).items()},
                publishes=tuple(spec["publishes"]),
                firestore=bool(spec["firestore"]),
                bigquery=spec["bigquery"],
            )
        return out

    @property
    def firestore_indexes(self) -> dict[str, FirestoreIndex]:
        return {
            name: FirestoreIndex(spec["collection"], tuple((f["field"], f["order"]) for f in spec["fields"]))
            for name, spec in unquote(self.locals["firestore_indexes"]).items()
        }

    @property
    def firestore_unindexed(self) -> dict[str, tuple[str, str]]:
        """Name -> (collection group, field) exempt from single-field indexes."""
        return {
            name: (str(spec["collection"]), str(spec["field"]))
            for name, spec in unquote(self.locals["firestore_unindexed"]).items()
        }

    @property
    def firestore_ttl(self) -> dict[str, str]:
        """Collection -> the timestamp field its TTL policy expires documents by."""
        return dict(unquote(self.locals["firestore_ttl"]))

    @property
    def bigquery_dataset(self) -> str:
        return str(self.variables["bigquery_dataset"])

    @property
    def bigquery_tables(self) -> dict[str, BigQueryTable]:
        out: dict[str, BigQueryTable] = {}
        for name, spec in unquote(self.locals["bigquery_tables"]).items():
            schema = json.loads((self.directory / "schemas" / f"{name}.json").read_text())
            out[name] = BigQueryTable(name, spec["partition"], tuple(spec["clustering"]), tuple(schema))
        return out


@lru_cache(maxsize=4)
def load(directory: Path = TERRAFORM_DIR) -> TerraformModel:
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        with path.open() as handle:
            files[path.name] = hcl2.load(handle)
    return TerraformModel(files, directory)

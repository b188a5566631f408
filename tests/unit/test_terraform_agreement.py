"""Terraform is the single source of truth: the code must name exactly what it defines.

Each check is a function returning the disagreements it found, so the same check that
passes on the real code is shown to fail on a rename made only in code.
"""

import ast
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic_settings import BaseSettings

import main
from common import dispatching, history, log, topics
from common.adapters import firestore as fs
from common.messages import DigestTick, ScrapeTick, decode_data
from common.settings import SET_IN_PRODUCTION, WEBHOOK_BUDGET_S, Settings
from emulators import tfmodel
from functions.api import (
    app,  # noqa: F401 - importing it declares the routes
    ratelimit,
)
from functions.api.openapi import API

ROOT = Path(__file__).resolve().parents[2]
# Variables that need no Settings field of their own: K_SERVICE is set by Cloud Run (and read
# by Settings); SECRETS_REVISION is set by Terraform and read by no code (changing it starts
# new revisions when a secret is rotated); THREADS is functions-framework's.
PLATFORM_VARIABLES = {"K_SERVICE", "SECRETS_REVISION", "THREADS"}


def _diff(name: str, in_code: Iterable[object], in_terraform: Iterable[object]) -> list[str]:
    code, terraform = set(in_code), set(in_terraform)
    return [
        f"{name} {item!r} is used in code but not defined in terraform" for item in sorted(map(str, code - terraform))
    ] + [f"{name} {item!r} is defined in terraform but unused in code" for item in sorted(map(str, terraform - code))]


def topic_problems(code_topics: Iterable[str], model: tfmodel.TerraformModel) -> list[str]:
    return _diff("topic", code_topics, model.topics)


def subscription_problems(code: Mapping[str, tuple[str, str]], model: tfmodel.TerraformModel) -> list[str]:
    defined = {name: (s.topic, s.function) for name, s in model.subscriptions.items()}
    return _diff("subscription", code.items(), defined.items())


def settings_aliases(settings: type[BaseSettings] = Settings) -> set[str]:
    return {str(f.validation_alias) for f in settings.model_fields.values() if f.validation_alias}


def env_problems(
    model: tfmodel.TerraformModel, aliases: set[str], required: Mapping[str, tuple[str, ...]]
) -> list[str]:
    problems = []
    for fn in model.functions.values():
        for variable in sorted({*fn.env, *fn.secrets} - aliases - PLATFORM_VARIABLES):
            problems.append(f"{fn.name}: {variable} is set in terraform but no Settings field reads it")
    for variable, functions in required.items():
        if variable not in aliases:
            problems.append(f"SET_IN_PRODUCTION names {variable}, which no Settings field reads")
        for name in functions:
            target = model.functions.get(name)
            if target is None or (variable not in target.env and variable not in target.secrets):
                problems.append(f"{name}: {variable} must be set in production but terraform does not set it")
    return problems


@pytest.fixture(scope="module")
def model() -> tfmodel.TerraformModel:
    return tfmodel.load()


def test_every_topic_the_code_uses_is_defined_in_terraform_and_vice_versa(model: tfmodel.TerraformModel) -> None:
    assert topic_problems(topics.TOPICS, model) == []


def test_a_topic_renamed_only_in_code_is_reported_both_ways(model: tfmodel.TerraformModel) -> None:
    renamed = tuple("reddit-posts" if t == topics.REDDIT_ITEMS else t for t in topics.TOPICS)
    assert topic_problems(renamed, model) == [
        "topic 'reddit-posts' is used in code but not defined in terraform",
        "topic 'reddit-items' is defined in terraform but unused in code",
    ]


def test_every_subscription_pushes_to_the_function_the_code_expects(model: tfmodel.TerraformModel) -> None:
    assert subscription_problems(topics.SUBSCRIPTIONS, model) == []


def test_every_subscription_has_its_own_dead_letter_topic_and_bounded_retries(model: tfmodel.TerraformModel) -> None:
    for name, sub in model.subscriptions.items():
        assert sub.dead_letter_topic == topics.dead_letter_topic(name)
        assert 5 <= sub.max_delivery_attempts <= 50
        assert 0 < sub.minimum_backoff_seconds <= sub.maximum_backoff_seconds <= 600


# What makes a failing message reach its dead-letter hold (and a push reach its function):
# each push subscription's wiring, and the Pub/Sub service agent's grants (publisher on the
# dead-letter topics, subscriber on the subscriptions it acknowledges them on, token creator
# for the pusher's OIDC tokens). Without one, a message past its attempts is retried for good,
# blocking its ticker on an ordered subscription, and every check above still passes.
WIRING: dict[tuple[str, str], dict[str, str]] = {
    ("google_pubsub_subscription", "push"): {
        "for_each": "${local.subscriptions}",
        "topic": "${google_pubsub_topic.topic[each.value.topic].id}",
        "push_config.push_endpoint": (
            "${google_cloudfunctions2_function.function[each.value.function].service_config[0].uri}"
        ),
        "push_config.oidc_token.service_account_email": "${google_service_account.pubsub_pusher.email}",
        "dead_letter_policy.dead_letter_topic": "${google_pubsub_topic.dead_letter[each.key].id}",
    },
    ("google_pubsub_topic", "dead_letter"): {"for_each": "${local.subscriptions}"},
    ("google_pubsub_topic_iam_member", "agent_dead_letter_publisher"): {
        "for_each": "${local.subscriptions}",
        "topic": "${google_pubsub_topic.dead_letter[each.key].name}",
        "role": '"roles/pubsub.publisher"',
        "member": "${local.pubsub_agent}",
    },
    ("google_pubsub_subscription_iam_member", "agent_subscriber"): {
        "for_each": "${local.subscriptions}",
        "subscription": "${google_pubsub_subscription.push[each.key].name}",
        "role": '"roles/pubsub.subscriber"',
        "member": "${local.pubsub_agent}",
    },
    ("google_service_account_iam_member", "pubsub_token_creator"): {
        "service_account_id": "${google_service_account.pubsub_pusher.name}",
        "role": '"roles/iam.serviceAccountTokenCreator"',
        "member": "${local.pubsub_agent}",
    },
}
PUBSUB_AGENT = '"serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"'


def _argument(body: Any, path: str) -> Any:
    for part in path.split("."):
        body = body[0] if isinstance(body, list) and len(body) == 1 else body
        body = body.get(part) if isinstance(body, Mapping) else None
    return body


def wiring_problems(resources: Callable[[str], Mapping[str, Any]], pubsub_agent: object) -> list[str]:
    problems = (
        [] if pubsub_agent == PUBSUB_AGENT else [f"local.pubsub_agent is {pubsub_agent!r}, not the service agent"]
    )
    for (kind, name), wants in WIRING.items():
        body = resources(kind).get(name)
        if body is None:
            problems.append(f"{kind}.{name} is missing")
            continue
        problems += [
            f"{kind}.{name}: {path} is {_argument(body, path)!r}, not {want!r}"
            for path, want in wants.items()
            if _argument(body, path) != want
        ]
    return problems


def test_failing_messages_can_reach_their_dead_letter_holds(model: tfmodel.TerraformModel) -> None:
    assert wiring_problems(model.resources, model.locals.get("pubsub_agent")) == []


def test_a_dropped_grant_or_a_dead_letter_policy_pointing_elsewhere_is_reported(model: tfmodel.TerraformModel) -> None:
    def without(kind: str, name: str) -> Callable[[str], Mapping[str, Any]]:
        return lambda asked: {k: v for k, v in model.resources(asked).items() if (asked, k) != (kind, name)}

    assert wiring_problems(without("google_pubsub_subscription_iam_member", "agent_subscriber"), PUBSUB_AGENT) == [
        "google_pubsub_subscription_iam_member.agent_subscriber is missing"
    ]
    push = model.resources("google_pubsub_subscription")["push"]
    elsewhere = {**push, "dead_letter_policy": [{"dead_letter_topic": "${google_pubsub_topic.topic[each.key].id}"}]}

    def moved(asked: str) -> Mapping[str, Any]:
        return (
            {**model.resources(asked), "push": elsewhere}
            if asked == "google_pubsub_subscription"
            else model.resources(asked)
        )

    [problem] = wiring_problems(moved, PUBSUB_AGENT)
    assert "dead_letter_policy.dead_letter_topic" in problem


def test_exactly_the_ticker_keyed_topics_are_delivered_in_order(model: tfmodel.TerraformModel) -> None:
    ordered = {topics.SUBSCRIPTIONS[name][0] for name, s in model.subscriptions.items() if s.message_ordering}
    assert ordered == topics.ORDERED


def keyed_publishes(sources: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Topic -> where code publishes to it with an ordering key (an ``Outgoing(topics.X, ...,
    ordering_key=...)`` whose key is not the empty string)."""
    found: dict[str, set[str]] = {}
    for where, source in sources:
        for node in ast.walk(ast.parse(source)):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Outgoing" and node.args):
                continue
            key = next((k.value for k in node.keywords if k.arg == "ordering_key"), None)
            if key is None or (isinstance(key, ast.Constant) and key.value == ""):
                continue
            topic = node.args[0]
            if isinstance(topic, ast.Attribute) and isinstance(topic.value, ast.Name) and topic.value.id == "topics":
                found.setdefault(getattr(topics, topic.attr), set()).add(where)
            else:
                found.setdefault(ast.unparse(topic), set()).add(where)
    return found


def _code() -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for folder in ("functions", "common")
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]


def test_the_topics_code_publishes_with_an_ordering_key_are_exactly_the_ordered_ones() -> None:
    # a keyed publish to a topic whose subscription is unordered loses the order it relies on
    assert set(keyed_publishes(_code())) == topics.ORDERED
    late = "publisher.publish_all([Outgoing(topics.ALERTS, event, ordering_key=event.ticker)])"
    assert set(keyed_publishes([*_code(), ("new.py", late)])) == topics.ORDERED | {topics.ALERTS}


def test_terraform_deploys_exactly_the_functions_main_exports_with_matching_entry_points(
    model: tfmodel.TerraformModel,
) -> None:
    assert _diff("function", main.__all__, model.functions) == []
    for name, fn in model.functions.items():
        assert fn.entry_point == name
        assert callable(getattr(main, fn.entry_point))


def test_every_pushed_function_is_deployed_and_only_the_api_is_public(model: tfmodel.TerraformModel) -> None:
    pushed = {s.function for s in model.subscriptions.values()}
    assert pushed <= set(model.functions)
    assert set(model.functions) - pushed == {"api"}
    assert {name for name, fn in model.functions.items() if fn.public} == {"api"}


def test_each_ack_deadline_covers_its_functions_timeout(model: tfmodel.TerraformModel) -> None:
    for sub in model.subscriptions.values():
        assert sub.ack_deadline_seconds >= model.functions[sub.function].timeout_seconds, sub.name


def test_every_environment_variable_terraform_sets_is_read_by_settings_and_required_ones_are_set(
    model: tfmodel.TerraformModel,
) -> None:
    assert env_problems(model, settings_aliases(), SET_IN_PRODUCTION) == []


def documented_tfvars() -> dict[str, str]:
    """The variables docs/operations.md's deploy writes into ``prod.tfvars``."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    block = re.search(r"cat > prod\.tfvars <<'VARS'[^\n]*\n(.*?)\nVARS", text, re.DOTALL)
    assert block is not None, "docs/operations.md no longer shows the prod.tfvars it deploys with"
    return dict(re.findall(r'^(\w+)\s*=\s*"([^"]*)"', block.group(1), re.MULTILINE))


def settings_problems(
    model: tfmodel.TerraformModel, tfvars: Mapping[str, str], functions: Iterable[tfmodel.Function] | None = None
) -> list[str]:
    """Each function's Settings built from what terraform gives it with ``tfvars``: a value
    or a combination the validators refuse (SMTP_USERNAME without STARTTLS) would fail every
    invocation of that function, whatever the agreement of names says."""
    problems = [f"prod.tfvars lacks {name}" for name in sorted(model.required_variables - set(tfvars))]
    values = {name: str(default) for name, default in model.variables.items() if default is not None} | dict(tfvars)
    for fn in model.functions.values() if functions is None else functions:
        env = {k: re.sub(r"\$\{var\.(\w+)\}", lambda m: values.get(m.group(1), ""), str(v)) for k, v in fn.env.items()}
        env |= dict.fromkeys(fn.secrets, "c2VjcmV0LXZhbHVlLW9mLXRoaXJ0eS10d28tYnl0ZXM=")
        try:
            Settings.model_validate(env)
        except ValueError as exc:
            problems.append(f"{fn.name}: {exc}")
    return problems


def test_the_documented_deploy_gives_every_function_settings_its_validators_accept(
    model: tfmodel.TerraformModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings reads the environment too, by alias or field name in any case: only terraform's values count
    names = {n.lower() for n in settings_aliases()} | set(Settings.model_fields)
    for variable in [v for v in os.environ if v.lower() in names]:
        monkeypatch.delenv(variable)
    tfvars = documented_tfvars()
    assert settings_problems(model, tfvars) == []
    notify = model.functions["notify"]
    in_the_clear = replace(notify, env={k: v for k, v in notify.env.items() if k != "SMTP_STARTTLS"})
    [refused] = settings_problems(model, tfvars, [in_the_clear])
    assert "SMTP_USERNAME needs SMTP_STARTTLS" in refused
    without_host = {k: v for k, v in tfvars.items() if k != "smtp_host"}
    assert settings_problems(model, without_host) == ["prod.tfvars lacks smtp_host"]


def test_every_setting_without_a_default_must_be_set_for_every_function() -> None:
    required = {str(f.validation_alias) for f in Settings.model_fields.values() if f.is_required()}
    assert {v for v in required if set(SET_IN_PRODUCTION.get(v, ())) != set(main.__all__)} == set()


def test_an_environment_variable_renamed_only_in_code_is_reported(model: tfmodel.TerraformModel) -> None:
    aliases = (settings_aliases() - {"BIGQUERY_DATASET"}) | {"BQ_DATASET"}
    problems = env_problems(model, aliases, {**SET_IN_PRODUCTION, "BQ_DATASET": ("archive",)})
    assert "archive: BIGQUERY_DATASET is set in terraform but no Settings field reads it" in problems
    assert "archive: BQ_DATASET must be set in production but terraform does not set it" in problems


def test_every_secret_is_mounted_by_some_function_and_each_only_where_it_is_needed(
    model: tfmodel.TerraformModel,
) -> None:
    defined = set(re.findall(r'"([^"]+)"', model.locals["secrets"]))
    mounted = {(name, secret) for name, fn in model.functions.items() for secret in fn.secrets.values()}
    assert {secret for _, secret in mounted} == defined
    readers: dict[str, set[str]] = {}
    for name, secret in mounted:
        readers.setdefault(secret, set()).add(name)
    assert readers == {
        "reddit-client-id": {"fetch"},
        "reddit-client-secret": {"fetch"},
        "smtp-password": {"notify", "notify_digest", "api"},  # the api sends test messages
        # notify and notify_digest sign unsubscribe links, api checks them
        "notify-signing-key": {"notify", "notify_digest", "api"},
    }


def test_a_secret_a_function_mounts_twice_is_granted_once() -> None:
    """iam.tf keys each grant by function and secret: the api mounts the signing key twice
    (the current version and the one it replaced), and a repeated key fails every plan."""
    iam = (tfmodel.TERRAFORM_DIR / "iam.tf").read_text()
    grants = re.search(r"secret_grants = \{ for pair in (\w+)\(", iam)
    assert grants is not None and grants.group(1) == "distinct"


def test_functions_may_publish_only_to_topics_terraform_lets_them(model: tfmodel.TerraformModel) -> None:
    """IAM grants publisher per topic: a publish the grant misses fails only in production."""
    by_constant = {name: value for name, value in vars(topics).items() if name.isupper() and isinstance(value, str)}
    consumed = {s.function: s.topic for s in model.subscriptions.values()}
    for name, fn in model.functions.items():
        assert set(fn.publishes) <= set(topics.TOPICS), name
        package = (ROOT / Path(*main.MODULES.get(name, f"functions.{name}.main").split("."))).parent
        source = "\n".join(p.read_text() for p in package.glob("*.py"))
        assert source, name
        referenced = {by_constant[c] for c in re.findall(r"topics\.([A-Z_]+)\b", source) if c in by_constant}
        assert referenced - {consumed.get(name)} <= set(fn.publishes), name


def test_every_firestore_composite_index_the_code_needs_is_defined_and_vice_versa(
    model: tfmodel.TerraformModel,
) -> None:
    code = {name: (ix.collection, ix.fields) for name, ix in fs.COMPOSITE_INDEXES.items()}
    defined = {name: (ix.collection, ix.fields) for name, ix in model.firestore_indexes.items()}
    assert _diff("composite index", code.items(), defined.items()) == []


def test_every_ttl_policy_matches_the_collections_the_code_expires(model: tfmodel.TerraformModel) -> None:
    assert _diff("ttl policy", fs.TTL_FIELDS.items(), model.firestore_ttl.items()) == []


def test_every_field_the_code_leaves_unindexed_is_exempt_in_terraform(model: tfmodel.TerraformModel) -> None:
    assert _diff("index exemption", fs.UNINDEXED_FIELDS.items(), model.firestore_unindexed.items()) == []
    # detect's crowd sums one hour of every ticker's series: sum() reads the field's index
    assert (fs.TICKERS, "series") not in fs.UNINDEXED_FIELDS.values()


def test_bigquery_tables_partitioning_and_clustering_match_what_the_archive_writes(
    model: tfmodel.TerraformModel,
) -> None:
    assert _diff("table", history.TABLES, model.bigquery_tables) == []
    for name, table in model.bigquery_tables.items():
        assert table.partition_field == history.PARTITION_FIELD
        assert table.clustering == history.CLUSTERING[name]
        columns = {f["name"]: f for f in table.schema}
        assert columns[table.partition_field]["type"] == "TIMESTAMP"
        assert set(table.clustering) <= set(columns)


def test_every_declared_variable_is_used(model: tfmodel.TerraformModel) -> None:
    text = "\n".join(p.read_text() for p in tfmodel.TERRAFORM_DIR.glob("*.tf"))
    assert [v for v in model.variables if f"var.{v}" not in text] == []


def test_every_alert_policy_watches_a_defined_metric_and_has_its_runbook_section(
    model: tfmodel.TerraformModel,
) -> None:
    metrics = tfmodel.unquote(model.locals["log_metrics"])
    policies = tfmodel.unquote(model.locals["alert_policies"])
    runbook = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.strip("# ").lower()).replace(" ", "-")
        for h in runbook.splitlines()
        if h.startswith("### ")
    }
    assert {p["metric"] for p in policies.values()} <= set(metrics)
    on_subscriptions = tfmodel.unquote(model.locals["subscription_policies"])
    assert {p["runbook"] for p in [*policies.values(), *on_subscriptions.values()]} | {
        "api-errors",
        "scheduler-failures",
    } <= anchors
    assert {p["condition"] for p in policies.values()} <= {"above", "below", "absent"}
    for name, policy in policies.items():  # a policy narrows or groups only by labels its metric extracts
        used = set(re.findall(r"metric\.labels\.(\w+)", str(policy.get("where") or "")))
        used |= {str(f).split(".", 2)[2] for f in policy.get("group_by") or []}
        assert used <= set(metrics[policy["metric"]]["labels"]), name


def test_the_api_latency_policy_reads_a_route_by_the_template_the_api_logs(model: tfmodel.TerraformModel) -> None:
    policy = tfmodel.unquote(model.locals["alert_policies"])["api_latency"]
    where = str(policy["where"]).replace('\\"', '"')
    found = re.fullmatch(r'metric\.labels\.route="(.+)" AND metric\.labels\.method="(\w+)"', where)
    assert found is not None, where
    route, method = found.groups()
    assert (method, route) in {(op.method, op.rule) for op in API.operations}  # a rule, not a path
    assert policy["aligner"] == "ALIGN_PERCENTILE_95"


def test_cloud_runs_own_lines_for_urls_carrying_a_credential_are_not_kept(model: tfmodel.TerraformModel) -> None:
    """The api redacts a credential in a query from its own lines (log.SECRET_PARAMS); the
    platform's request log writes the whole URL, so an exclusion must drop those lines: for
    every route taking such a parameter, on the api's service, and on that log only."""
    exclusion = tfmodel.unquote(model.resources("google_logging_project_exclusion")["api_secret_urls"])
    text = str(exclusion["filter"]).replace('\\"', '"')  # the terms joined with AND, as HCL writes them
    assert 'resource.type="cloud_run_revision"' in text
    assert 'resource.labels.service_name="${google_cloudfunctions2_function.function["api"].name}"' in text
    assert 'log_id("run.googleapis.com/requests")' in text
    assert text.startswith('${join(" AND ", [')
    terms = re.findall(r'"(httpRequest\.requestUrl:"[^"]*")"', text)
    secret = [op for op in API.operations if op.query and log.SECRET_PARAMS & set(op.query.model_fields)]
    assert len(secret) == 1, "one such path: the terms are ANDed, so a second needs an OR of the paths"
    assert terms == [f'httpRequest.requestUrl:"{op.path}?"' for op in secret]


def test_the_scheduler_failure_policy_watches_every_scheduler_job(model: tfmodel.TerraformModel) -> None:
    jobs = {f"${{google_cloud_scheduler_job.{name}.name}}" for name in model.resources("google_cloud_scheduler_job")}
    assert jobs and set(tfmodel.unquote(model.locals["scheduler_jobs"])) == jobs
    (condition,) = model.resources("google_monitoring_alert_policy")["scheduler_failures"]["conditions"]
    log_filter = tfmodel.unquote(condition["condition_matched_log"][0]["filter"])
    assert 'resource.type=\\"cloud_scheduler_job\\"' in log_filter and "local.scheduler_jobs" in log_filter
    assert "severity>=ERROR" in log_filter


def test_a_policy_reads_a_distribution_by_percentile_or_mean_and_a_count_by_sum(model: tfmodel.TerraformModel) -> None:
    metrics = tfmodel.unquote(model.locals["log_metrics"])
    policies = tfmodel.unquote(model.locals["alert_policies"])
    for name, policy in policies.items():
        distribution = bool(metrics[policy["metric"]].get("value"))
        aligner = policy.get("aligner", "ALIGN_SUM")
        assert aligner.startswith(DISTRIBUTION_ALIGNERS) == distribution, name
    assert policies["detect_lag"]["threshold"] == 15 * 60  # the "detect lag above 15 minutes"


# Built-in metric types the dashboard may chart, with whether each is a distribution.
BUILTIN_METRICS = {
    "run.googleapis.com/request_count": False,
    "run.googleapis.com/request_latencies": True,
    "pubsub.googleapis.com/subscription/num_undelivered_messages": False,
    "pubsub.googleapis.com/subscription/oldest_unacked_message_age": False,
    "firestore.googleapis.com/document/read_count": False,
    "firestore.googleapis.com/document/write_count": False,
}
DISTRIBUTION_ALIGNERS = ("ALIGN_PERCENTILE_", "ALIGN_MEAN")


def dashboard_problems(metrics: Mapping[str, dict[str, Any]], charts: Iterable[dict[str, Any]]) -> list[str]:
    """Every chart reads a log metric monitoring.tf defines (grouped by its labels) or a
    built-in metric type, with an aligner its kind of value allows; every metric is charted."""
    problems: list[str] = []
    charted: set[str] = set()
    for chart in charts:
        title, name, builtin = chart["title"], str(chart.get("metric") or ""), str(chart.get("builtin") or "")
        if name:
            if name not in metrics:
                problems.append(f"chart {title!r} reads metric {name!r}, which monitoring.tf does not define")
                continue
            charted.add(name)
            distribution = bool(metrics[name].get("value"))
            labels = set(metrics[name]["labels"])
            used = {f.split(".", 2)[2] for f in chart["group_by"] if str(f).startswith("metric.label.")}
            used |= set(re.findall(r"metric\.labels\.(\w+)", str(chart.get("numerator") or "")))
            problems += [
                f"chart {title!r} uses label {label!r} that {name!r} does not extract" for label in used - labels
            ]
        elif builtin in BUILTIN_METRICS:
            distribution = BUILTIN_METRICS[builtin]
        else:
            problems.append(
                f"chart {title!r} reads {builtin!r}, neither a metric of monitoring.tf nor a known built-in"
            )
            continue
        aligner = str(chart.get("aligner", "ALIGN_SUM"))
        if aligner.startswith(DISTRIBUTION_ALIGNERS) != distribution:
            problems.append(f"chart {title!r} aligns {'a distribution' if distribution else 'a count'} with {aligner}")
    problems += [f"metric {name!r} is on no chart" for name in sorted(set(metrics) - charted)]
    return problems


def _charts(model: tfmodel.TerraformModel) -> list[dict[str, Any]]:
    return [*tfmodel.unquote(model.locals["dashboard_charts"]), *tfmodel.unquote(model.locals["dashboard_ratios"])]


def test_every_dashboard_chart_reads_a_defined_or_built_in_metric_and_every_metric_is_charted(
    model: tfmodel.TerraformModel,
) -> None:
    metrics = tfmodel.unquote(model.locals["log_metrics"])
    charts = _charts(model)
    assert dashboard_problems(metrics, charts) == []
    assert any(c.get("builtin") == "run.googleapis.com/request_count" for c in charts)  # the API's requests and 5xx
    rendered = str(model.resources("google_monitoring_dashboard")["operations"]["dashboard_json"])
    assert "local.dashboard_tiles" in rendered
    tiles = str(model.locals["dashboard_tiles"])
    assert "local.dashboard_charts" in tiles and "local.dashboard_ratios" in tiles


def test_a_chart_of_a_metric_renamed_only_in_the_dashboard_is_reported(model: tfmodel.TerraformModel) -> None:
    metrics = tfmodel.unquote(model.locals["log_metrics"])
    charts = [{**c, "metric": "detect_delay"} if c.get("metric") == "detect_lag" else c for c in _charts(model)]
    assert dashboard_problems(metrics, charts) == [
        "chart 'Lag: detect, median (s), as the detect-lag policy reads it' reads metric 'detect_delay',"
        " which monitoring.tf does not define",
        "metric 'detect_lag' is on no chart",
    ]


def test_a_function_taking_requests_side_by_side_has_a_whole_cpu_and_as_many_threads(
    model: tfmodel.TerraformModel,
) -> None:
    """Cloud Run refuses a concurrency above 1 under one vCPU, and functions-framework serves
    as many requests at once as its THREADS (by default four per CPU the host shows)."""
    wrong = [
        name
        for name, fn in model.functions.items()
        if fn.concurrency > 1 and (fn.cpu is None or float(fn.cpu) < 1 or fn.env.get("THREADS") != str(fn.concurrency))
    ]
    assert wrong == []
    assert model.functions["api"].concurrency > 1  # the browser's several calls a page share an instance


def test_the_function_errors_filter_names_services_as_cloud_logging_labels_them(model: tfmodel.TerraformModel) -> None:
    """``resource.labels.service_name`` is a short name (notify-digest); a function resource's
    ``service_config[0].service`` is its full path, which would match no line at all."""
    expression = str(model.locals["function_services"])
    assert "service_config" not in expression and "keys(local.functions)" in expression
    assert 'replace(name, "_", "-")' in expression


def test_the_rate_limiters_overshoot_bound_counts_every_api_instance_terraform_allows(
    model: tfmodel.TerraformModel,
) -> None:
    assert model.functions["api"].max_instances == ratelimit.INSTANCES


def _filtered_functions(model: tfmodel.TerraformModel, for_each: str) -> set[str]:
    """The functions a ``for fn, spec in local.functions : fn => spec if spec.<field> <op> "<v>"``
    grant reaches (the one form of filter these grants use)."""
    match = re.fullmatch(
        r'\$\{\{for fn, spec in local\.functions : fn => spec if spec\.(\w+) (==|!=) "(\w+)"\}\}', for_each
    )
    assert match, f"a grant filter this test cannot read: {for_each}"
    field, op, value = match.groups()
    return {n for n, fn in model.functions.items() if (getattr(fn, field) == value) == (op == "==")}


def test_every_function_account_id_is_one_google_accepts(model: tfmodel.TerraformModel) -> None:
    """The provider refuses an account id outside [a-z][-a-z0-9]{4,28}[a-z0-9] before any plan,
    and a function name may hold an underscore (notify_digest)."""
    template = tfmodel.unquote(model.resources("google_service_account")["function"]["account_id"])
    forms: dict[str, Callable[[str], str]] = {
        "fn-${each.key}": lambda name: f"fn-{name}",
        'fn-${replace(each.key, "_", "-")}': lambda name: "fn-" + name.replace("_", "-"),
    }
    assert template in forms, f"an account id template this test cannot evaluate: {template}"
    ids = {forms[template](name) for name in model.functions}
    assert len(ids) == len(model.functions)
    assert [i for i in sorted(ids) if not re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", i)] == []


def test_a_function_that_runs_bigquery_queries_may_create_query_jobs(model: tfmodel.TerraformModel) -> None:
    """A query is a job billed to the project (roles/bigquery.jobUser); dataset roles do not
    include it, and the emulator checks no IAM: archive's redelivery path queries too."""
    adapter = (ROOT / "common" / "adapters" / "bigquery.py").read_text()
    parts = {n.name: ast.get_source_segment(adapter, n) or "" for n in ast.parse(adapter).body if hasattr(n, "name")}
    querying = {name for name, body in parts.items() if ".query(" in body}
    while grown := {n for n, body in parts.items() if n not in querying and any(f"{q}(" in body for q in querying)}:
        querying |= grown  # what calls a querying function (or builds a querying class) queries too
    assert {"stored_row_ids", "hourly_mentions", "BigQueryHours"} <= querying
    grant = model.resources("google_project_iam_member")["bigquery_job_user"]
    job_users = _filtered_functions(model, grant["for_each"])
    queriers = set()
    for name in model.functions:
        package = (ROOT / Path(*main.MODULES.get(name, f"functions.{name}.main").split("."))).parent
        source = "\n".join(p.read_text() for p in package.glob("*.py"))
        if any(re.search(rf"\b{q}\(", source) for q in querying):
            queriers.add(name)
    assert queriers == {"archive", "api"}  # what the test must find, or it checks nothing
    assert queriers <= job_users, f"without roles/bigquery.jobUser: {sorted(queriers - job_users)}"


def test_the_scheduler_starts_only_once_every_push_subscription_exists(model: tfmodel.TerraformModel) -> None:
    """A tick published before a subscription exists never reaches it: a scrape tick's fetch
    then moves its cursors past items no archive or aggregate got, a digest tick is lost."""
    for name, job in model.resources("google_cloud_scheduler_job").items():
        assert "${google_pubsub_subscription.push}" in job.get("depends_on", []), name


def test_dispatch_holds_a_subreddit_back_while_its_last_fetch_may_run(model: tfmodel.TerraformModel) -> None:
    assert model.functions["fetch"].timeout_seconds == dispatching.FETCH_TIMEOUT_S


def test_archive_ends_its_bigquery_calls_within_its_functions_timeout(model: tfmodel.TerraformModel) -> None:
    from functions.archive import main as archive_main

    assert model.functions["archive"].timeout_seconds == archive_main.TIMEOUT_S
    assert archive_main.BIGQUERY_BUDGET_S + 30 <= archive_main.TIMEOUT_S  # the markers' commit and dead letters after


def test_dispatch_publishes_only_within_its_functions_timeout(model: tfmodel.TerraformModel) -> None:
    from functions.dispatch import main as dispatch_main

    assert model.functions["dispatch"].timeout_seconds == dispatch_main.TIMEOUT_S
    assert dispatch_main.PUBLISH_BY_S + dispatch_main.PUBLISH_BUDGET_S < dispatch_main.TIMEOUT_S
    assert dispatch_main.LEASE_S > dispatch_main.TIMEOUT_S + dispatch_main.PUBLISH_BUDGET_S


def test_notify_stops_starting_deliveries_while_its_functions_still_have_time_to_end_them(
    model: tfmodel.TerraformModel,
) -> None:
    from functions.notify import digest, invocation
    from functions.notify import main as notify_main

    assert model.functions["notify"].timeout_seconds == notify_main.TIMEOUT_S
    assert model.functions["notify_digest"].timeout_seconds == digest.TIMEOUT_S
    slowest = WEBHOOK_BUDGET_S  # what the settings hold any webhook delivery to
    for timeout in (notify_main.TIMEOUT_S, digest.TIMEOUT_S):  # the last one started still ends in time
        assert invocation.Invocation.of(0.0, timeout).start_by_s + slowest < timeout


def variables_of(model: tfmodel.TerraformModel) -> dict[str, Any]:
    return {tfmodel.unquote(name): body for block in model.blocks("variable") for name, body in block.items()}


def retry_span_s(attempts: int, minimum: float, maximum: float) -> float:
    """When Pub/Sub makes its last delivery of a message that always fails, counted from the
    first: the backoff doubles from ``minimum`` up to ``maximum`` between deliveries."""
    return float(sum(min(maximum, minimum * 2.0**k) for k in range(attempts - 1)))


def test_notify_gives_a_failing_delivery_up_while_pubsub_still_redelivers_its_event(
    model: tfmodel.TerraformModel,
) -> None:
    from functions.notify import store

    assert retry_span_s(3, 10.0, 600.0) == 30.0 and retry_span_s(20, 10.0, 600.0) == 8430.0
    backlog = float(model.locals["subscription_policies"]["notify_backlog"]["threshold"])
    (check,) = variables_of(model)["max_delivery_attempts"]["validation"]
    found = re.search(r">= (\d+)", str(check["condition"]))
    assert found, "max_delivery_attempts has no lower bound"
    fewest = int(found.group(1))  # what a deploy may set, not only the default
    settings = Settings()
    for sub in model.subscriptions.values():
        if sub.function in ("notify", "notify_digest"):
            span = retry_span_s(fewest, sub.minimum_backoff_seconds, sub.maximum_backoff_seconds)
            # a receiver failing first after GIVE_UP_S is tried once more: two redeliveries after it
            given_up_by = store.GIVE_UP_S + 2 * sub.maximum_backoff_seconds
            assert given_up_by <= span, sub.name  # comes before the event is dead-lettered
            assert given_up_by < backlog, sub.name  # and before the waiting event pages anyone
            # a webhook that never answers is disabled while its events are still redelivered
            assert settings.webhook_disable_unanswered_after_s + sub.maximum_backoff_seconds <= span, sub.name


def test_each_scheduler_job_publishes_a_tick_its_function_decodes(model: tfmodel.TerraformModel) -> None:
    """The scrape tick asks for the subreddits due at their pace: a ``{}`` tick would fetch
    every subreddit every minute."""
    jobs = model.resources("google_cloud_scheduler_job")
    payloads = {}
    for name, job in jobs.items():
        [target] = job["pubsub_target"]
        literal = re.fullmatch(r'\$\{base64encode\((".*")\)\}', target["data"])
        assert literal, f"{name}: the payload is not a literal the test can read"
        payloads[name] = ast.literal_eval(literal.group(1)).encode()
    assert decode_data(ScrapeTick, payloads["scrape_tick"]).due_only
    assert decode_data(DigestTick, payloads["digest_tick"]) == DigestTick()


def _validation_regex(model: tfmodel.TerraformModel, variable: str) -> re.Pattern[str]:
    """The ``regex(...)`` of a variable's validation, as Terraform reads the string."""
    for block in model.blocks("variable"):
        for name, body in block.items():
            if tfmodel.unquote(name) == variable:
                [rule] = body["validation"]
                found = re.search(r'regex\("((?:[^"\\]|\\.)*)"', rule["condition"])
                assert found, rule["condition"]
                return re.compile(found.group(1).replace("\\\\", "\\"))
    raise AssertionError(f"no variable {variable}")


SUBREDDIT_LISTS = [
    "wallstreetbets", "stocks, options", " stocks ", "stocks,", ",stocks", "stocks,,options", "a", "x" * 64,
    "x" * 65, "r/stocks", "two words", "stocks;options", "", " , ", "__x__", "stocks,_x", "a_b",
]  # fmt: skip


@pytest.mark.parametrize("value", SUBREDDIT_LISTS)
def test_terraform_refuses_at_plan_time_exactly_the_subreddits_settings_refuses(
    model: tfmodel.TerraformModel, value: str
) -> None:
    try:
        Settings(subreddits=value)
        read = True
    except ValueError:
        read = False
    assert bool(_validation_regex(model, "subreddits").fullmatch(value)) == read


@pytest.mark.parametrize("value", ["587", "25", "1", "65535", "65536", "70000", "0", "smtp", "", "-1", "5 87"])
def test_terraform_refuses_at_plan_time_a_smtp_port_settings_cannot_read(
    model: tfmodel.TerraformModel, value: str
) -> None:
    accepted = bool(_validation_regex(model, "smtp_port").fullmatch(value))
    try:
        read = Settings(smtp_port=value).smtp_port == int(value)
    except ValueError:
        read = False
    assert accepted == read


def test_the_replay_script_reads_the_holds_terraform_makes(model: tfmodel.TerraformModel) -> None:
    for subscription in topics.SUBSCRIPTIONS:
        assert model.dead_letter_holds[topics.dead_letter_topic(subscription)] == topics.dead_letter_hold(subscription)


# Read by more than one function, each from its own environment: set in one and not the other,
# they would disagree (dispatch plans a fetch's interval for a listing depth fetch does not read).
SHARED_SETTINGS = {"FETCH_MAX_POSTS": ("fetch", "dispatch")}


def shared_setting_problems(envs: Mapping[str, Mapping[str, str]], shared: Mapping[str, tuple[str, ...]]) -> list[str]:
    problems = []
    for variable, names in shared.items():
        values = {name: envs[name].get(variable) for name in names}
        if len(set(values.values())) > 1:
            problems.append(f"{variable} differs between {', '.join(names)}: {values}")
    return problems


def test_a_setting_two_functions_read_is_set_alike_in_both(model: tfmodel.TerraformModel) -> None:
    envs = {name: dict(fn.env) for name, fn in model.functions.items()}
    assert shared_setting_problems(envs, SHARED_SETTINGS) == []
    envs["fetch"]["FETCH_MAX_POSTS"] = "300"
    assert shared_setting_problems(envs, SHARED_SETTINGS) == [
        "FETCH_MAX_POSTS differs between fetch, dispatch: {'fetch': '300', 'dispatch': None}"
    ]


def test_function_errors_counts_cloud_runs_own_errors_per_service(model: tfmodel.TerraformModel) -> None:
    """Cloud Run's own request log (a 5xx, an instance killed past its memory, no instance
    available) carries no jsonPayload: counted with the function's lines, the service tells
    whose they are, and the policy pages per service."""
    from tests.support.log_metrics import log_metrics, matches

    spec = log_metrics()["function_errors"]
    assert matches(spec, {"severity": "ERROR", "message": "boom", "function": "detect"})
    # Cloud Logging counts a line whatever its label fields hold (the helper also checks that
    # our own lines carry theirs): the filter alone must let the request log in
    assert matches({**spec, "labels": {}}, {"severity": "ERROR", "httpRequest": {"status": 503}})
    assert spec["labels"]["service"] == "resource.labels.service_name"
    policy = tfmodel.unquote(model.locals["alert_policies"])["function_errors"]
    assert policy["group_by"] == ["metric.label.service"]


def test_a_percentile_policy_sets_its_bar_on_a_bucket_edge_of_its_distribution(model: tfmodel.TerraformModel) -> None:
    """Cloud Monitoring interpolates a percentile within its bucket: a bar inside a bucket
    twice as wide as the one below pages on medians under it and misses some above."""
    metrics = tfmodel.unquote(model.locals["log_metrics"])
    for name, policy in tfmodel.unquote(model.locals["alert_policies"]).items():
        if not str(policy.get("aligner", "")).startswith("ALIGN_PERCENTILE_"):
            continue
        edges = float(policy["threshold"]) / float(metrics[policy["metric"]].get("scale", 1))
        assert edges > 0 and math.log2(edges).is_integer(), (name, policy["threshold"])


# What tabledata.insertAll needs (BigQuery's "Use the legacy streaming API": updateData,
# tables.get, datasets.get), and getData for the query that reads a redelivered batch's rows back.
STREAMING_PERMISSIONS = {"bigquery.tables.updateData", "bigquery.tables.get", "bigquery.datasets.get"}


def test_the_history_writer_role_can_stream_rows_and_read_them_back_but_not_delete(
    model: tfmodel.TerraformModel,
) -> None:
    role = model.resources("google_project_iam_custom_role")["history_writer"]
    permissions = set(tfmodel.unquote(role["permissions"]))
    assert STREAMING_PERMISSIONS | {"bigquery.tables.getData"} <= permissions
    assert not {p for p in permissions if p.endswith((".delete", ".update", ".setIamPolicy"))}


def test_a_message_replayed_from_a_hold_is_never_older_than_the_records_that_dedupe_it(
    model: tfmodel.TerraformModel,
) -> None:
    """Dead-lettered after its retries (at most max_delivery_attempts waits of the longest
    backoff), then held up to the retention the variable allows: all within REDELIVERY_TTL."""
    variables = variables_of(model)

    def upper_bound(name: str) -> int:
        (check,) = variables[name]["validation"]
        found = re.search(r"<= (\d+)", str(check["condition"]))
        assert found, f"{name} has no upper bound"
        return int(found.group(1))

    bound, most_attempts = upper_bound("dead_letter_retention"), upper_bound("max_delivery_attempts")
    # each attempt: Pub/Sub's longest backoff, then the longest an attempt may run (its ack deadline)
    retrying_s = most_attempts * (600 + 600)
    assert bound + retrying_s < fs.REDELIVERY_TTL.total_seconds()
    # and no shorter than Pub/Sub keeps a subscription's messages (10 minutes): less passes
    # plan and fails at apply
    (check,) = variables["dead_letter_retention"]["validation"]
    assert ">= 600" in str(check["condition"])


def test_values_the_apis_refuse_are_refused_at_plan(model: tfmodel.TerraformModel) -> None:
    """A budget's amount is whole units: 3.33 a day (99.9 a month) passes plan and fails apply."""
    (check,) = variables_of(model)["daily_budget_usd"]["validation"]
    assert "floor(var.daily_budget_usd * 30) == var.daily_budget_usd * 30" in str(check["condition"])

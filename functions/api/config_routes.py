"""Detection thresholds: everyone may read them, admins change them, and admins can first
see what a proposed change would have raised on recent stored data."""

from pydantic import ValidationError

from common.detection_config import DetectionConfig
from common.fields import problems
from functions.api import models as m
from functions.api.auth import Principal
from functions.api.compare import differences
from functions.api.errors import ApiError
from functions.api.openapi import API
from functions.api.services import Services


@API.route(
    "GET", "/v1/config/detection", summary="The detection config in force", tag="config", response=m.StoredConfig
)
def get_detection_config(svc: Services, user: Principal) -> m.StoredConfig:
    stored = _stored(svc)
    # who saved it is an account id: the admins' to see, not every user's
    return stored if user.is_admin else stored.model_copy(update={"updated_by": None})


@API.route(
    "PUT",
    "/v1/config/detection",
    summary="Replace the whole detection config (admin; every field required); the version goes up by one",
    tag="config",
    body=m.ConfigUpdate,
    response=m.StoredConfig,
    admin=True,
    may_409=True,
)
def put_detection_config(svc: Services, user: Principal, body: m.ConfigUpdate) -> m.StoredConfig:
    missing = sorted(set(DetectionConfig.model_fields) - body.config.model_fields_set)
    if missing:
        raise ApiError(
            422,
            "incomplete_config",
            f"PUT replaces the whole config; missing: {', '.join(missing)}. PATCH changes only the fields sent.",
        )
    svc.store.save_config(body.config, body.expected_version, user.sub)
    return _stored(svc)


@API.route(
    "PATCH",
    "/v1/config/detection",
    summary="Change some detection thresholds (admin); the rest stay as stored, the version goes up by one",
    tag="config",
    body=m.ConfigPatch,
    response=m.StoredConfig,
    admin=True,
    may_409=True,
)
def patch_detection_config(svc: Services, user: Principal, body: m.ConfigPatch) -> m.StoredConfig:
    changes = body.changes.model_dump(exclude_unset=True)

    def merge(stored: DetectionConfig) -> DetectionConfig:
        try:
            return DetectionConfig.model_validate({**stored.model_dump(), **changes})
        except ValidationError as exc:
            raise ApiError(422, "invalid_config", problems(exc)) from exc

    svc.store.change_config(merge, body.expected_version, user.sub)
    return _stored(svc)


def _stored(svc: Services) -> m.StoredConfig:
    config, version, updated_at, updated_by = svc.store.config()
    return m.StoredConfig(config=config, version=version, updated_at=updated_at, updated_by=updated_by)


@API.route(
    "POST",
    "/v1/config/detection/preview",
    summary="Replay recent stored data with a proposed config (admin): the alerts it would raise",
    tag="config",
    body=m.PreviewRequest,
    response=m.Preview,
    admin=True,
)
def preview_detection_config(svc: Services, user: Principal, body: m.PreviewRequest) -> m.Preview:
    del user
    if svc.backtest is None:
        raise ApiError(503, "preview_unavailable", "the backtest core is not available in this deployment")
    current, version, _, _ = svc.store.config()
    symbols = list(dict.fromkeys(body.symbols)) if body.symbols else svc.store.active_symbols(m.PREVIEW_MAX_SYMBOLS)
    newest = max((svc.store.ticker(s) or {}).get("as_of") or 0.0 for s in symbols) if symbols else 0.0
    end = int(float(newest) // 3600) * 3600
    start = end - (body.hours - 1) * 3600
    (proposed, baseline), replayed = svc.backtest([body.config, current], symbols, start, end)
    if len(replayed) < len(symbols) and (body.symbols or not replayed):
        raise ApiError(
            422,
            "preview_too_large",
            f"the stored hours of {len(symbols)} symbols over {body.hours} hours (and the history before them) are "
            f"more than one preview can hold; {len(replayed)} would fit: name fewer symbols or hours",
        )
    new = [m.PreviewAlert.model_validate(a) for a in proposed]
    old = [m.PreviewAlert.model_validate(a) for a in baseline]
    diff = differences(baseline, proposed)
    return m.Preview(
        hours=body.hours,
        symbols=len(replayed),
        proposed=new,
        current=old,
        current_version=version,
        gained=[new[j] for j in diff.gained],
        lost=[old[i] for i in diff.lost],
        moved=[
            m.PreviewMove(
                current=old[i],
                proposed=new[j],
                shift_h=round(((new[j].opened_at or 0.0) - (old[i].opened_at or 0.0)) / 3600, 2),
            )
            for i, j in diff.moved
        ],
    )

"""dispatch: a scheduler tick in, one ``subreddit-fetches`` message per subreddit out.

Each fetch names the detection config version in force (one read per tick): the run's
mentions are counted and decided with it, so downstream reads the config only when a
version is new to it, and a change applies from the next tick.

``runs/{run_id}`` records the fan-out, so a redelivered tick does not fan out twice; a tick
that died midway (state still ``dispatching``) fans out again, which the fetch tolerates.
"""

from google.cloud import firestore

from common import log, topics
from common.adapters import firestore as fs
from common.adapters.pubsub import Outgoing, Publisher
from common.detection_config import in_force
from common.dispatching import plan_fetches, run_id_for
from common.entrypoint import Delivery, publisher_for, pubsub_function
from common.messages import ScrapeTick
from common.settings import Settings

logger = log.get_logger(__name__)


def fan_out(
    tick: ScrapeTick, delivery: Delivery, settings: Settings, db: firestore.Client, publisher: Publisher
) -> int:
    """Publish the run's fetches unless this run already did; returns how many were sent."""
    run_id = run_id_for(tick, delivery.message_id)
    subreddits = [f.subreddit for f in plan_fetches(run_id, tick.subreddits or settings.subreddits)]
    run = db.collection(fs.RUNS).document(run_id)
    if not fs.create_if_absent(run, {"state": "dispatching", "subreddits": subreddits}):
        snapshot = run.get()
        if snapshot.exists and snapshot.get("state") == "dispatched":
            logger.info(
                "run %s already dispatched; duplicate tick ignored", run_id, extra={"json_fields": {"run_id": run_id}}
            )
            return 0
    _, version = in_force(fs.doc_of(db.collection(fs.CONFIG).document(fs.DETECTION_CONFIG).get()))
    plan = plan_fetches(run_id, subreddits, version)
    publisher.publish_all(Outgoing(topics.SUBREDDIT_FETCHES, fetch, ordering_key="") for fetch in plan)
    run.update({"state": "dispatched", "dispatched_at": firestore.SERVER_TIMESTAMP})
    logger.info(
        "dispatched %d subreddit fetches",
        len(plan),
        extra={"json_fields": {"run_id": run_id, "subreddits": [f.subreddit for f in plan]}},
    )
    return len(plan)


def _process(tick: ScrapeTick, delivery: Delivery, settings: Settings) -> None:
    fan_out(tick, delivery, settings, fs.get_client(settings.project_id), publisher_for(settings))


dispatch = pubsub_function("dispatch", ScrapeTick, _process)

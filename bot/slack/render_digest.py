"""Turn queued digest work into Slack calls: the digest message, then its funnel chart.

The numbers were counted when the digest was queued, so a delivery retried later sends the
same digest. The chart goes into the digest message's thread with Slack's file upload flow
(files_upload_v2), once the message is posted and its channel and ts are known.
"""

from __future__ import annotations

import re

from bot.domain.digest import RegionDigest, digest_from_json
from bot.slack import blocks_report, charts, render
from bot.slack.render import SlackCall, Wait
from config.model import BatonConfig
from storage.digests import posted
from storage.outbox import OutboxItem, SqlOutbox

UPLOAD = "files_upload_v2"


def work_call(item: OutboxItem, *, outbox: SqlOutbox, config: BatonConfig) -> SlackCall | Wait:
    digest = digest_from_json(item.payload["digest"])
    match item.kind:
        case "digest_post":
            if isinstance(digest, RegionDigest):
                message = blocks_report.region_digest(digest)
                channel, _ = render.target_of(config, digest.region)
            else:
                message = blocks_report.marketing_digest(digest)
                channel = config.marketing.channel
            return SlackCall("chat.postMessage", render._post(channel, message, item.key))
        case "digest_chart":
            where = posted(outbox.database, item.payload["post"])
            if where is None:
                return Wait("the digest message is not posted yet")
            channel, ts = where
            title, subtitle = blocks_report.chart_title(digest)
            rows = blocks_report.chart_rows(digest)
            image = charts.funnel_png(title, rows, subtitle=subtitle)
            return SlackCall(
                UPLOAD,
                {
                    "channel": channel,
                    "thread_ts": ts,
                    "file": image,
                    "filename": chart_filename(item.key),
                    "title": f"{title} ({subtitle})",
                    "alt_txt": "Funnel: " + ", ".join(f"{label} {n:,}" for label, n in rows),
                },
            )
    raise ValueError(f"unknown digest work: {item.kind}")


def chart_filename(key: str) -> str:
    """A file name that names the work it delivers, so that a retried upload is recognised."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", key).strip("-") + ".png"

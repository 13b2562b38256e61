"""The Functions host's warmup trigger: runs when an instance starts, before it takes traffic.
The work is in shared/admin/warmup.py."""
from __future__ import annotations

import azure.functions as func

from shared.admin.warmup import warm_instance

bp = func.Blueprint()


@bp.warm_up_trigger(arg_name="warmup")
def warmup(warmup) -> None:
    warm_instance()

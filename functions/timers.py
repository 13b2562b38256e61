"""Timer triggers of the credential lifecycle; the work is in shared/ (expiry_checks, purge, webhook_delivery).

Schedules are NCRONTAB in UTC (second minute hour day month weekday). An exception fails the
run, which the Functions host records; the shared code already isolates each organization.
"""
from __future__ import annotations

import azure.functions as func

from shared.lifecycle import expiry_checks, purge, webhook_delivery

bp = func.Blueprint()


@bp.timer_trigger(arg_name="timer", schedule="0 15 6 * * *", run_on_startup=False, use_monitor=True)
def check_expiry(timer: func.TimerRequest) -> None:
    """Daily: credentials expiring within 60/30/7/1 days or expired; signed webhooks."""
    expiry_checks.run()


@bp.timer_trigger(arg_name="timer", schedule="0 40 * * * *", run_on_startup=False, use_monitor=True)
def purge_expired(timer: func.TimerRequest) -> None:
    """Hourly: login states, codes and SAML replay entries past their life."""
    purge.run()


@bp.timer_trigger(arg_name="timer", schedule="0 * * * * *", run_on_startup=False, use_monitor=True)
def deliver_webhooks(timer: func.TimerRequest) -> None:
    """Every minute: the due notifications of the organizations that have some (directory events, retries)."""
    webhook_delivery.run()

from celery import shared_task

from ivigapp.reminders import services


@shared_task(name="ivigapp.reminders.tasks.dispatch", ignore_result=True)
def dispatch():
    services.reminders_dispatch_all()


# Idempotent (each delivery is claimed with a lease before it is sent), so a message is acked only
# after the task ran and is requeued when the worker dies mid-chunk.
@shared_task(
    name="ivigapp.reminders.tasks.deliveries_send", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def deliveries_send(delivery_ids: list[int]) -> None:
    services.deliveries_send(delivery_ids=delivery_ids)


# The one-delivery task of earlier releases, kept so that messages still in a broker at upgrade run.
@shared_task(
    name="ivigapp.reminders.tasks.delivery_send", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def delivery_send(delivery_id: int) -> None:
    services.deliveries_send(delivery_ids=[delivery_id])

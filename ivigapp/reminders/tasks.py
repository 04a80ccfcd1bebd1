from celery import shared_task

from ivigapp.reminders import services


@shared_task(name="ivigapp.reminders.tasks.dispatch", ignore_result=True)
def dispatch():
    services.reminders_dispatch_all()


@shared_task(
    name="ivigapp.reminders.tasks.delivery_send", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def delivery_send(delivery_id: int) -> None:
    services.delivery_send(delivery_id=delivery_id)

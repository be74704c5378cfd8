"""A task and a URL map for the Celery tests: the worker imports this module (-I)."""

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from catedra.celery_app import app


@app.task(name="tests.schema_probe")
def schema_probe() -> dict[str, str]:
    """Where the task ran: Django's idea of the schema and the database's search_path."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        search_path = cursor.fetchone()[0]
    return {"schema": connection.schema_name, "search_path": search_path}


def enqueue_probe(request):
    result = schema_probe.apply_async(queue=request.GET["queue"])
    return JsonResponse({"task_id": result.id})


urlpatterns = [path("probe/enqueue", enqueue_probe)]

"""Liveness for load balancers and the benchmark's calibration: the app answers and the
database takes a query."""

from django.db import connection
from django.http import JsonResponse


def health_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})

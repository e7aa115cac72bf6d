"""Two DRF views that bound what the product's purchase can reach on this machine.

- `EmptyView`: JSON in (parsed by DRF), JSON out; no authentication, no database.
- `SameWritesView`: the framework floor of a purchase earn. A serializer reads the body, the
  member is looked up by card number, and the four statements of the `pgbench` script of
  `bench.api` (lock the account, insert the purchase under its `(store, transaction_id)`
  constraint, insert the ledger entry, move the balance) run in one transaction as raw SQL.
  One point per euro plus one, like the script: no rules, no answer beyond the balance.
"""

from django.db import connection, transaction
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

STORE_CODE = "BENCH"


class PurchaseInput(serializers.Serializer):
    transaction_id = serializers.CharField(max_length=64)
    card_number = serializers.CharField(max_length=32)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = serializers.CharField(max_length=3)
    lines = serializers.ListField(child=serializers.DictField(), required=False)


class EmptyView(APIView):
    schema = None  # not part of the API's contract
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def post(self, request):
        request.data  # noqa: B018 -- parse the body, as every real view does
        return Response({"ok": True})


_store_id: int | None = None


def _store() -> int:
    global _store_id
    if _store_id is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM accounts_store WHERE code = %s", [STORE_CODE])
            _store_id = cursor.fetchone()[0]
    return _store_id


class SameWritesView(APIView):
    schema = None
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes: list = []

    def post(self, request):
        body = PurchaseInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        points = int(data["amount"]) + 1
        store = _store()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM accounts_member WHERE card_number = %s", [data["card_number"]]
            )
            member = cursor.fetchone()
            if member is None:
                return Response({"code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
            cursor.execute(
                "SELECT id, balance FROM points_pointaccount WHERE member_id = %s "
                "FOR NO KEY UPDATE",
                [member[0]],
            )
            account_id, balance = cursor.fetchone()
            cursor.execute(
                "INSERT INTO points_purchase (store_id, transaction_id, member_id, amount, "
                "discount_total, store_credit_used, currency, channel, occurred_at, points_earned,"
                " explanation, refunded_amount, points_reversed, request_hash, response_body, "
                "created_at) VALUES (%s, %s, %s, %s, 0, 0, %s, 'offline', now(), %s, "
                "'[]', 0, 0, '', '{}', now()) "
                "ON CONFLICT (store_id, transaction_id) DO NOTHING RETURNING id",
                [
                    store,
                    data["transaction_id"],
                    member[0],
                    data["amount"],
                    data["currency"],
                    points,
                ],
            )
            purchase = cursor.fetchone()
            if purchase is None:
                return Response({"code": "replayed"}, status=status.HTTP_200_OK)
            cursor.execute(
                "INSERT INTO points_pointsentry (account_id, kind, points, pending_points, balance_after, "
                "is_qualifying, effective_at, expires_at, purchase_id, reason, note, created_at) "
                "VALUES (%s, 'earn', %s, 0, %s, true, now(), now() + interval '24 months', %s, '', "
                "'', now())",
                [account_id, points, balance + points, purchase[0]],
            )
            cursor.execute(
                "UPDATE points_pointaccount SET balance = balance + %s, updated_at = now() "
                "WHERE id = %s",
                [points, account_id],
            )
        return Response(
            {"transaction_id": data["transaction_id"], "points_balance": balance + points},
            status=status.HTTP_201_CREATED,
        )

"""Fixtures of the KPI tests; the history builders are in helpers.py."""

from decimal import Decimal

import pytest

from insights.services import kpi_summaries_refresh
from points.models import LoyaltyProgram


@pytest.fixture
def programme(db):
    program = LoyaltyProgram.current()
    program.dormant_after_days = 30
    program.point_value = Decimal("0.05")
    program.save()
    return program


@pytest.fixture
def refreshed():
    """Rebuilds the summaries; call after building the history."""
    return kpi_summaries_refresh

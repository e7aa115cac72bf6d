"""The statistics of the uplift report, as pure functions of counts and sums (docs/kpis.md).

- Conversion rate: the difference of two proportions with Newcombe's hybrid score interval
  (method 10, from two Wilson intervals). It stays inside [-1, 1] and behaves with few or no
  conversions, where the plain Wald interval collapses to a point.
- Revenue per member: Welch's interval for the difference of two means with unequal variances,
  from n, the sum and the sum of squares of each group (what one SQL aggregate returns), with the
  Welch–Satterthwaite degrees of freedom.
- The sample needed to detect a given uplift in conversion (two-sided alpha, power), by the usual
  normal approximation for two proportions.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist

CONFIDENCE = 0.95
_NORMAL = NormalDist()


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high


def z_quantile(p: float) -> float:
    return _NORMAL.inv_cdf(p)


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile by the Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5):
    within 0.001 of the exact value from 3 degrees of freedom on, which is all the report uses
    (it shows nothing below its minimum sample)."""
    if df == math.inf:
        return z_quantile(p)
    z = z_quantile(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def wilson(successes: int, n: int, *, confidence: float = CONFIDENCE) -> Interval:
    """Wilson's score interval for one proportion."""
    if n <= 0:
        raise ValueError("n must be positive")
    z = z_quantile(1 - (1 - confidence) / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half))


def proportion_difference(
    successes_a: int, n_a: int, successes_b: int, n_b: int, *, confidence: float = CONFIDENCE
) -> Interval:
    """p_a − p_b with Newcombe's hybrid score interval."""
    a, b = (
        wilson(successes_a, n_a, confidence=confidence),
        wilson(successes_b, n_b, confidence=confidence),
    )
    difference = a.estimate - b.estimate
    low = difference - math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2)
    high = difference + math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2)
    return Interval(difference, low, high)


def mean_difference(
    n_a: int,
    sum_a: float,
    squares_a: float,
    n_b: int,
    sum_b: float,
    squares_b: float,
    *,
    confidence: float = CONFIDENCE,
) -> Interval:
    """mean_a − mean_b with Welch's interval, from counts, sums and sums of squares."""
    if n_a < 2 or n_b < 2:
        raise ValueError("Welch's interval needs at least two values per group")
    mean_a, mean_b = sum_a / n_a, sum_b / n_b
    # max(0, …): the sum-of-squares form can dip a hair below zero in floating point.
    var_a = max(0.0, (squares_a - n_a * mean_a * mean_a) / (n_a - 1))
    var_b = max(0.0, (squares_b - n_b * mean_b * mean_b) / (n_b - 1))
    share_a, share_b = var_a / n_a, var_b / n_b
    se = math.sqrt(share_a + share_b)
    difference = mean_a - mean_b
    if se == 0:
        return Interval(difference, difference, difference)
    df = (share_a + share_b) ** 2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
    half = t_quantile(1 - (1 - confidence) / 2, df) * se
    return Interval(difference, difference - half, difference + half)


def sample_size_per_group(
    baseline: float, uplift: float, *, alpha: float = 0.05, power: float = 0.80
) -> int:
    """Members needed in each group (treated and holdout alike) to detect a rise of the
    conversion rate from `baseline` to `baseline + uplift` (two-sided test of two proportions)."""
    if not 0 < uplift < 1 or not 0 <= baseline < 1 or baseline + uplift >= 1:
        raise ValueError("baseline and uplift must give two rates between 0 and 1")
    p1, p2 = baseline, baseline + uplift
    pooled = (p1 + p2) / 2
    z_alpha, z_beta = z_quantile(1 - alpha / 2), z_quantile(power)
    numerator = (
        z_alpha * math.sqrt(2 * pooled * (1 - pooled))
        + z_beta * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2
    return math.ceil(numerator / uplift**2)

"""The framework floor of `bench.api`: what Django and DRF allow for the writes of one purchase.

Not part of the product (not in its INSTALLED_APPS or URLs): `bench.api` serves the product with
`bench.floor.settings`, which is the production settings plus two routes, so these views run in
the same gunicorn workers, behind the same middleware, in the same run as the product's scenarios.
"""

"""Airflow's local settings for outreach (on PYTHONPATH for every `airflow` process it starts;
Airflow imports this module by name at start-up, before it loads plugins and cluster policies).

astronomer-cosmos (installed for `make bench`'s comparison of ways to run dbt) warns on import,
once per process, that the OpenLineage provider is missing: outreach emits no lineage events.
"""

import logging

logging.getLogger("cosmos.operators.local").setLevel(logging.ERROR)

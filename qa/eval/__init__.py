"""Retrieval evaluation: the eval set (``dataset``), metrics (``metrics``), the recipes a user would
pick instead (``peers``), a run of every system over a set (``run``), and the report (``report``).

Layered so nothing imports upward: dataset <- metrics <- peers, report <- run.
"""

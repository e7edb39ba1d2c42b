"""Real-time dispatch of on-demand orders to workers (pure Python, not a Django app).

- :mod:`linli.dispatch.travel` — travel times (great-circle × detour, or a road network);
- :mod:`linli.dispatch.policy` — ``rank`` a new job over workers, ``reoptimise`` held work,
  ``plan_etas`` of a worker's plan;
- :mod:`linli.dispatch.scenario`, :mod:`linli.dispatch.simulate` — the one-day simulation
  behind ``linli bench dispatch`` (Linli's dispatcher against a greedy baseline).

The algorithm and the scenario file format are described in ``docs/dispatch.md``.
"""

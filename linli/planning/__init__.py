"""Day planning of home-care visits (pure Python, not a Django app).

Routing and scheduling of caregivers with skills, patient time windows and visits that need
two services at once or in sequence — the problem of Mankowska, Meisel and Bierwirth (2014).
Entry point: :func:`linli.planning.solve.plan`.
"""

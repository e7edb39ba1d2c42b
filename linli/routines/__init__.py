"""Routines of people living alone, and inactivity alerts (pure Python, not a Django app).

The trace format shared by the simulator, the detector and anyone scoring a detector
(:mod:`linli.routines.traces`), synthetic lives (:mod:`linli.routines.simulate`), the learned
routine detector (:mod:`linli.routines.detector`), the fixed city rules it is compared with
(:mod:`linli.routines.rules`), the scoring (:mod:`linli.routines.score`) and the detection half
of ``linli bench alerts`` (:mod:`linli.routines.bench`). See ``docs/routines.md``.
"""

"""The paper's experiment: its tables and figures, the evidence over seeds, its reported values.

* :mod:`evodeap.paper.report` — Tables 2–5 and Figures 2–4 of a replication study;
* :mod:`evodeap.paper.evidence` — Table 6: evolution against the hand-picked model over seeds;
* :mod:`evodeap.paper.values` — the paper's own numbers (``reported.json``), beside ours.
"""

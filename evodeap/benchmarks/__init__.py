"""Standard benchmark suites: problems × search methods × seeds, resumable, ranked as the field does.

* :mod:`evodeap.benchmarks.problem` — :class:`SuiteProblem` (a fitness, its space, budget and how to read a record) and
  ``METHODS``, the registry of search methods;
* :mod:`evodeap.benchmarks.methods` — evodeap's arms and the peers, registered by name;
* :mod:`evodeap.benchmarks.fidelity_peers` — the multi-fidelity peers on problems with a fidelity,
  through one adapter (the problem's space plus an ``epochs`` gene), registered by name;
* :mod:`evodeap.benchmarks.jobs` — one (problem, method, seed) job and its small result file;
* :mod:`evodeap.benchmarks.suite` — run every job not done yet on every core;
* :mod:`evodeap.benchmarks.analysis` — normalised-regret curves, mean ranks at budget
  fractions, Friedman tests, critical differences and per-problem paired tests;
* :mod:`evodeap.benchmarks.report` — the suite's Markdown tables, ``ranks.csv`` and figures;
* :mod:`evodeap.benchmarks.suite_study` — an experiment's variants × a suite's problems × seeds
  (an experiment file with ``SUITE``), run as suite jobs;
* :mod:`evodeap.benchmarks.effects` — each variant's effect size against the reference across
  problems (bootstrap CI over problems, A12 and Wilcoxon with Holm per problem);
* :mod:`evodeap.benchmarks.study_report` — a suite study's report: effects, ranks, CD diagrams.
"""

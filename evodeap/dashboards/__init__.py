"""Dashboards researchers already use, fed from a run as it happens.

* :mod:`evodeap.dashboards.tensorboard_hparams` — each evaluation as one session of
  TensorBoard's HParams dashboard (``tensorboard=True``);
* :mod:`evodeap.dashboards.mlflow` — MLflow tracking (``mlflow=True`` or a dict; the
  optional ``evodeap[mlflow]`` extra): the run, its evaluations as nested runs, the
  exported best model as an artifact.

Neither module imports TensorBoard or MLflow until it is used.
"""

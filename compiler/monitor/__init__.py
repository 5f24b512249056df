"""The reference monitor jobs (`mlops monitor drift|estimate`), from the `[monitor]` extra.

Run by the generated monitor CronWorkflow in the monitor runtime's image, each with the config
`mlops compile` generated (backends/kubernetes/monitoring.py `drift_config`, `estimation_config`):
read the reference and the current window (sources.py), check the data contract (quality.py),
compute drift per feature (statistics.py) or estimate performance with NannyML (estimation.py),
and push the metrics the alerts and the retraining gate read (push.py). Only
compiler/commands/monitor.py imports this package: numpy, scipy, pandas, pyarrow and NannyML
never load on the validate/lint path. docs/monitor-jobs.md describes what runs and what it pushes.
"""

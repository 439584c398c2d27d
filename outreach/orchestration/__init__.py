"""The orchestration over the stages: the pipeline's steps (`pipeline`), the dbt runner (`dbt`),
the Airflow glue (`airflow_run`: the embedded default; `notify`: the DAG's e-mails;
`processes`: every process they start, stopped with them). The DAG file
in `dags/` and the CLI in `outreach.cli` call these; no stage imports them.
"""

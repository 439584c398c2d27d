# The outreach image: the official Airflow 3.3 image with the project's locked dependencies.
#   docker compose build        (see docs/operators.md, "Deploy")
FROM apache/airflow:3.3.2-python3.11

USER root
# LibreOffice writes the PDF of the report; without it the nightly run writes .docx and HTML only
RUN apt-get update \
    && apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-liberation \
    && rm -rf /var/lib/apt/lists/*
USER airflow

# dependencies first, from the lock file, so that a code change does not reinstall them
COPY --chown=airflow:root pyproject.toml uv.lock /opt/outreach/
RUN pip install --no-cache-dir "uv==0.13.9" \
    && cd /opt/outreach \
    && uv export --frozen --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY --chown=airflow:root . /opt/outreach
RUN pip install --no-cache-dir --no-deps /opt/outreach

ENV OUTREACH_HOME=/opt/outreach-home \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/outreach/dags \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PYTHONPATH=/opt/outreach:/opt/outreach/outreach/orchestration/airflow_config

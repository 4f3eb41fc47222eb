# One image for the code server, webserver and daemon (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /opt/linelogic
COPY pyproject.toml README.md ./
COPY linelogic_assets ./linelogic_assets
COPY config ./config
RUN pip install --no-cache-dir .
ENV DAGSTER_HOME=/opt/dagster LINELOGIC_DATA_ROOT=/opt/linelogic/data
COPY deploy/dagster.postgres.yaml /opt/dagster/dagster.yaml
COPY deploy/workspace.grpc.yaml /opt/dagster/workspace.yaml

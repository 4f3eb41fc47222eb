# One image for the code server, the webserver and the daemon (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/linelogic
COPY pyproject.toml README.md ./
COPY linelogic_assets ./linelogic_assets
COPY config ./config
COPY deploy ./deploy
# editable: the package finds config/ and deploy/ beside it, as in a checkout
RUN pip install --no-cache-dir -e .
ENV DAGSTER_HOME=/opt/dagster LINELOGIC_DATA_ROOT=/data/lake
RUN mkdir -p /opt/dagster/storage /data/lake
COPY deploy/dagster.yaml deploy/workspace.yaml /opt/dagster/
# not root: the named volumes take these directories' owner when first created
RUN useradd --create-home --uid 1000 linelogic && chown -R linelogic /opt/dagster /data /opt/linelogic
USER linelogic
EXPOSE 3000 4000

# syntax=docker/dockerfile:1
# Suara: one image for every role. `python -m bot run` is a webhook worker when WEBHOOK_URL is
# set (polling otherwise); `python -m bot migrate` is the deploy step (see docs/operations.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir bot && touch bot/__init__.py \
    && pip install . \
    && pip uninstall -y suara \
    && rm -rf bot

# The code, locales and migrations, installed in place (the catalogs in locales/ are read from
# beside the package).
COPY bot ./bot
COPY locales ./locales
COPY alembic.ini NOTICE ./
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /app suara \
    && mkdir -p /app/data && chown suara /app/data

USER suara
EXPOSE 8080
ENV WEBHOOK_LISTEN=0.0.0.0:8080

# Alive while the process serves HTTP (webhook mode); the balancer uses /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]

STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]

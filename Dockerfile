# Build stage: the runtime lock, hash-checked, and Baton itself, into one virtual environment.
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/baton
# The lock alone first, so a code change rebuilds from here on, not the dependencies.
COPY requirements.txt /src/requirements.txt
RUN /opt/baton/bin/pip install --require-hashes -r /src/requirements.txt
COPY pyproject.toml /src/
COPY bot /src/bot
COPY handlers /src/handlers
COPY storage /src/storage
COPY config /src/config
RUN /opt/baton/bin/pip install --no-deps /src

# Run stage: that environment and the example config, run by an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/baton/bin:$PATH
COPY --from=build /opt/baton /opt/baton
WORKDIR /app
COPY config/baton.yaml /app/config/baton.yaml
RUN useradd --create-home --uid 10001 baton \
    && mkdir -p /data && chown baton /data
USER baton
ENV DATABASE_URL=sqlite:////data/baton.db BATON_CONFIG=/app/config/baton.yaml PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=4)"
CMD ["baton", "serve"]

# fangsiang in a container: CPU-only torch (the English complaint stage), PostgreSQL driver, the shipped config.
#   docker compose up -d            (compose.yaml adds PostgreSQL; see README "Running it as a service")
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# torch from PyTorch's CPU index first: plain PyPI would bring the multi-GB CUDA build
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md LICENSE ./
COPY listener listener
COPY scrapers scrapers
COPY sentiment sentiment
COPY alerts alerts
RUN pip install ".[encoder,postgres]"
COPY config.yaml config.schema.json ./
COPY watchlists watchlists

RUN useradd --system --uid 10001 --home-dir /var/lib/fangsiang --create-home fangsiang
USER fangsiang
# the config's relative SQLite path would land in /app; compose points storage at PostgreSQL instead
ENV HOME=/var/lib/fangsiang \
    FANGSIANG_CONFIG=/app/config.yaml \
    FANGSIANG_STORAGE__URL=sqlite:////var/lib/fangsiang/fangsiang.db \
    FANGSIANG_METRICS__HOST=0.0.0.0 \
    FANGSIANG_LOG_FORMAT=json
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9464/readyz', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["fangsiang"]
CMD ["run"]

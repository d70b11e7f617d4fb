# Vigie's image for docker-compose.yml: runs `vigie worker` by default, any `vigie` command otherwise.
FROM python:3.11-slim

# The reference data (data/) is not part of the installed package: VIGIE_DATA_DIR points at the
# copy made below.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIGIE_DATA_DIR=/app/data

WORKDIR /app
COPY . /app
RUN pip install /app \
    && useradd --create-home --uid 10001 vigie

# Faust keeps its local state under the working directory: the user's own home.
USER vigie
WORKDIR /home/vigie

CMD ["vigie", "worker"]

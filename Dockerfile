FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PAPERWIRE_VAR_DIR=/app/var
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY papers ./papers
COPY newsletter ./newsletter
RUN pip install --no-cache-dir .

COPY . .
RUN SECRET_KEY=build-only python manage.py collectstatic --no-input \
    && useradd --create-home paperwire && mkdir -p /app/var && chown -R paperwire /app/var
USER paperwire

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

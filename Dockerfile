FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# cairo and a font: the landscape renders its PNG downloads on the server (cairosvg).
RUN apt-get update && apt-get install -y --no-install-recommends libcairo2 fonts-liberation fontconfig \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Collected under the production settings, so whitenoise's manifest (staticfiles.json) is
# written: the app refuses to start under DEBUG=0 without it. No database is reached here.
RUN DEBUG=0 ALLOWED_HOSTS=build CSRF_TRUSTED_ORIGINS=https://build DATABASE_URL=postgres://build@build/build \
    SECRET_KEY="$(python -c "import secrets; print(secrets.token_urlsafe(50))")" \
    python manage.py collectstatic --noinput -v0
RUN useradd --system --no-create-home catalogue && mkdir -p /app/exports && chown catalogue /app/exports
USER catalogue
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--access-logfile", "-"]

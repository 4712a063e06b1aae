# The app in a container, for hosts beyond one machine (deploy/kubernetes.yaml runs it).
# Not built on the project's machines (no container registry there): tests/test_deploy.py checks
# it against the Makefile and deploy/serve.py instead. Build and run:
#   docker build -t cnnviz . && docker run -p 8501:8501 cnnviz
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 app
WORKDIR /home/app/cnnviz

# The exact versions `make run` installs (its own layer: rebuilt only when they change).
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .
USER app

# What `make warm` does: the default model and its shift curve into ~/.cache/cnnviz of the image,
# so the Inside page's first visitor waits about a second, not a training.
RUN python -c "from cnnviz.lessons.inside import warm; print(warm())"

EXPOSE 8501
# A replica busy with a visitor's numbers may answer late: 5 s, as the Kubernetes probes.
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=5)"

# deploy/serve.py's replica_command(8501, "0.0.0.0"): the container listens on every address.
CMD ["streamlit", "run", "app.py", "--server.port", "8501", "--server.address", "0.0.0.0", "--server.headless", "true"]

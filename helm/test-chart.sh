#!/usr/bin/env bash
# Chart checks: `helm lint`, then render the chart and assert what the cluster relies on.
# Builds helm from the Go module proxy into helm/.bin the first time (needs Go).
set -euo pipefail
cd "$(dirname "$0")"
HELM_VERSION=v3.19.0
HELM="${HELM:-$(command -v helm || true)}"
if [[ -z "$HELM" ]]; then
  HELM="$PWD/.bin/helm"
  if [[ ! -x "$HELM" ]]; then
    echo "helm-check: building helm $HELM_VERSION with Go (first run only) ..." >&2
    GOBIN="$PWD/.bin" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  fi
fi

"$HELM" lint s2edit

passed=0
failed=0
expect() { # expect DESCRIPTION PATTERN FILE
  if grep -qE -- "$2" "$3"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1 (no match for '$2')"; fi
}
reject() {
  if grep -qE -- "$2" "$3"; then failed=$((failed + 1)); echo "FAIL: $1 (unexpected '$2')"; else passed=$((passed + 1)); fi
}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$HELM" template t s2edit > "$out/default.yaml"
"$HELM" template t s2edit --set worker.autoscaling.enabled=true \
  --set kafka.bootstrapServers=broker:9093 > "$out/keda.yaml"
"$HELM" template t s2edit --set gateway.tokenizer.dir=/models/sd/tokenizer \
  --set gateway.tokenizer.volume.persistentVolumeClaim.claimName=models-ro > "$out/tokenizer.yaml"

expect "gateway and worker deployments" "name: t-s2edit-gateway" "$out/default.yaml"
expect "worker deployment" "name: t-s2edit-worker" "$out/default.yaml"
expect "worker asks for a GPU" "nvidia.com/gpu: 1" "$out/default.yaml"
expect "worker tolerates GPU taints" "key: nvidia.com/gpu" "$out/default.yaml"
expect "grace period above the longest job" "terminationGracePeriodSeconds: 900" "$out/default.yaml"
expect "gateway gets its database from a secret" "name: QUARKUS_DATASOURCE_PASSWORD" "$out/default.yaml"
expect "Kafka address configured by env" "name: KAFKA_BOOTSTRAP_SERVERS" "$out/default.yaml"
expect "S3 configured by env" "name: S2EDIT_STORAGE_ENDPOINT" "$out/default.yaml"
expect "readiness on Quarkus health" "path: /q/health/ready" "$out/default.yaml"
reject "exact prompt counting only when asked" "name: S2EDIT_TOKENIZER_DIR" "$out/default.yaml"
expect "upload limit as an integer Quarkus can read" "value: \"20971520\"" "$out/default.yaml"
expect "gateway gets the tokenizer folder" "name: S2EDIT_TOKENIZER_DIR" "$out/tokenizer.yaml"
expect "tokenizer folder value" "value: \"/models/sd/tokenizer\"" "$out/tokenizer.yaml"
expect "tokenizer volume mounted" "claimName: models-ro" "$out/tokenizer.yaml"
reject "no KEDA object unless asked" "kind: ScaledObject" "$out/default.yaml"
expect "KEDA object when enabled" "kind: ScaledObject" "$out/keda.yaml"
expect "KEDA names each topic explicitly" "topic: \"s2edit.jobs.finetune\"" "$out/keda.yaml"
expect "KEDA uses the configured brokers" "bootstrapServers: \"broker:9093\"" "$out/keda.yaml"
reject "HPA owns replicas under KEDA" "^  replicas: 1$" "$out/keda.yaml"
# Workers hold no database credentials.
worker=$(awk '/^kind: Deployment/{d=0} /name: t-s2edit-worker/{d=1} d' "$out/default.yaml")
if grep -q DATASOURCE <<<"$worker"; then failed=$((failed + 1)); echo "FAIL: worker must not see database settings"; else passed=$((passed + 1)); fi

echo "helm-check: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# Rewrites k8s/natsoak.yaml: the chart's default render for release "natsoak" in namespace
# "natsoak", without hooks (the `helm test` pod, and the generated NATS password Secret that
# kubectl users create themselves, see k8s/README.md). K8sManifestsTest fails while the file is stale.
# Needs the helm CLI (3.x). Without it, the test suite's own Helm does the same:
#   ./mvnw -B -ntp test -Dtest=K8sManifestsTest -Dnatsoak.regenerate=true
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
helm template natsoak "$here/helm/natsoak" --namespace natsoak --no-hooks > "$here/k8s/natsoak.yaml"
echo "wrote $here/k8s/natsoak.yaml"

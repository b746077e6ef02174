{{/*
Names, labels and the pieces every natsoak pod shares.
*/}}

{{- define "natsoak.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's base name: the release name, prefixed with the chart name unless it contains it. */}}
{{- define "natsoak.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object; "component" is the role (producer, worker, verifier, chaos, nats, ...). */}}
{{- define "natsoak.labels" -}}
{{ include "natsoak.selectorLabels" . }}
app.kubernetes.io/part-of: natsoak
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels a component's selector matches: equality-based only (the chaos operator selects with them). */}}
{{- define "natsoak.selectorLabels" -}}
app.kubernetes.io/name: {{ include "natsoak.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "natsoak.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "natsoak.serviceAccountName" -}}
{{ include "natsoak.fullname" . }}
{{- end -}}

{{- define "natsoak.chaosServiceAccountName" -}}
{{ include "natsoak.fullname" . }}-chaos
{{- end -}}

{{/*
Restricted pod security (Pod Security Standards, "restricted"): every pod runs as a non-root user
with the runtime's default seccomp profile, every container without privilege escalation, with all
capabilities dropped and a read-only root filesystem.
*/}}
{{- define "natsoak.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
{{- if .fsGroup }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "natsoak.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The image's user: UID 185 in the Quarkus (UBI OpenJDK) base images, both Dockerfile.jvm and Jib. */}}
{{- define "natsoak.uid" -}}185{{- end -}}

{{/* The in-cluster NATS: its Services and the URL of every node. */}}
{{- define "natsoak.nats.fullname" -}}
{{ include "natsoak.fullname" . }}-nats
{{- end -}}

{{- define "natsoak.nats.headless" -}}
{{ include "natsoak.fullname" . }}-nats-headless
{{- end -}}

{{- define "natsoak.nats.urls" -}}
{{- if eq .Values.nats.mode "external" -}}
{{- join "," .Values.nats.external.urls -}}
{{- else -}}
{{- $name := include "natsoak.nats.fullname" . -}}
{{- $headless := include "natsoak.nats.headless" . -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.nats.replicas) -}}
{{- $urls = append $urls (printf "nats://%s-%d.%s.%s.svc:4222" $name $i $headless $.Release.Namespace) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}
{{- end -}}

{{- define "natsoak.nats.secretName" -}}
{{ .Values.nats.auth.existingSecret | default (printf "%s-nats-credentials" (include "natsoak.fullname" .)) }}
{{- end -}}

{{/*
A natsoak setting's value as an environment variable: lists comma-separated, and whole numbers
without the exponent Helm gives large numbers from values files (1073741824, not 1.073741824e+09).
*/}}
{{- define "natsoak.settingValue" -}}
{{- $v := . -}}
{{- if kindIs "slice" $v -}}
{{- join "," $v -}}
{{- else if and (kindIs "float64" $v) (eq $v (float64 (int64 $v))) -}}
{{- int64 $v -}}
{{- else -}}
{{- $v -}}
{{- end -}}
{{- end -}}

{{/*
Flattens the nested `config` map into natsoak keys ("worker.processing-delay-min") with their values.
Input: dict "prefix" "" "map" .Values.config "out" (dict). Writes into "out".
*/}}
{{- define "natsoak.flattenConfig" -}}
{{- $out := .out -}}
{{- $prefix := .prefix -}}
{{- range $k, $v := .map -}}
{{- $key := ternary $k (printf "%s.%s" $prefix $k) (eq $prefix "") -}}
{{- if kindIs "map" $v -}}
{{- include "natsoak.flattenConfig" (dict "prefix" $key "map" $v "out" $out) -}}
{{- else if not (kindIs "invalid" $v) -}}
{{- $_ := set $out $key $v -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
The user's natsoak settings as a map of environment variable -> value, after refusing the ones the
chart sets itself (each with one line saying what to use instead).
*/}}
{{- define "natsoak.configEnv" -}}
{{- $flat := dict -}}
{{- include "natsoak.flattenConfig" (dict "prefix" "" "map" (.Values.config | default dict) "out" $flat) -}}
{{- $managed := dict
  "role" "the chart runs one Deployment or StatefulSet per role"
  "instance" "each pod is named after itself"
  "preset" "set preset instead"
  "producer.count" "set producer.replicas instead"
  "producer.index" "each producer takes the ordinal of its StatefulSet pod"
  "worker.count" "set worker.replicas instead"
  "worker.index" "workers get their partitions from the partition manager"
  "nats.urls" "set nats.mode and nats.external.urls instead"
  "nats.username" "set nats.external.credentials instead"
  "nats.password" "set nats.external.credentials instead"
  "nats.token" "set nats.external.credentials instead"
  "nats.creds-file" "set nats.external.credentials instead"
  "chaos.enabled" "set chaos.enabled instead"
  "chaos.kubernetes.namespace" "the chaos operator acts in the release's namespace"
  "chaos.kubernetes.selector" "the chaos operator selects this release's pods"
  "chaos.kubernetes.component-label" "the chart labels each pod's role with app.kubernetes.io/component"
  "chaos.kubernetes.nats-selector" "the chaos operator selects this release's NATS pods"
  "chaos.kubernetes.worker-deployment" "the chaos operator scales this release's worker Deployment"
-}}
{{- $env := dict -}}
{{- range $key, $value := $flat -}}
{{- if hasKey $managed $key -}}
{{- fail (printf "config.%s: set by the chart (%s)" $key (get $managed $key)) -}}
{{- end -}}
{{- if hasPrefix "nats.tls." $key -}}
{{- fail (printf "config.%s: set by the chart (set nats.external.tls instead)" $key) -}}
{{- end -}}
{{- $_ := set $env (printf "NATSOAK_%s" ($key | upper | replace "." "_" | replace "-" "_")) (include "natsoak.settingValue" $value) -}}
{{- end -}}
{{- $assignment := get $flat "worker.assignment" | default "" -}}
{{- if or (eq $assignment "") (eq $assignment "static") -}}
{{- fail (printf "config.worker.assignment: %q cannot work with worker pods from a Deployment (static needs a fixed index per worker); allowed: round-robin, consistent-hash, weighted-consistent-hash" $assignment) -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}

{{/* NATSOAK_* variables of one role's container: role, the NATS connection and its identity, the chaos operator's targets. */}}
{{- define "natsoak.roleEnv" -}}
{{- $root := .root -}}
- name: NATSOAK_ROLE
  value: {{ .role }}
{{- if eq .role "chaos" }}
# The chaos operator injects faults (its schedule: natsoak.chaos.* in `config` and the preset)
# into this release's pods only: equality-based selectors, the role in the component label.
- name: NATSOAK_CHAOS_ENABLED
  value: "true"
- name: NATSOAK_CHAOS_KUBERNETES_NAMESPACE
  value: {{ $root.Release.Namespace }}
- name: NATSOAK_CHAOS_KUBERNETES_SELECTOR
  value: app.kubernetes.io/part-of=natsoak,app.kubernetes.io/instance={{ $root.Release.Name }}
- name: NATSOAK_CHAOS_KUBERNETES_COMPONENT_LABEL
  value: app.kubernetes.io/component
- name: NATSOAK_CHAOS_KUBERNETES_NATS_SELECTOR
  value: app.kubernetes.io/instance={{ $root.Release.Name }},app.kubernetes.io/component=nats
- name: NATSOAK_CHAOS_KUBERNETES_WORKER_DEPLOYMENT
  value: {{ include "natsoak.fullname" $root }}-worker
{{- end }}
- name: NATSOAK_NATS_URLS
  value: {{ include "natsoak.nats.urls" $root | quote }}
{{- if eq $root.Values.nats.mode "internal" }}
- name: NATSOAK_NATS_USERNAME
  value: {{ ternary "natsoak-chaos" "natsoak" (eq .role "chaos") }}
- name: NATSOAK_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "natsoak.nats.secretName" $root }}
      key: {{ ternary "chaos-password" "app-password" (eq .role "chaos") }}
{{- else }}
{{- $c := get $root.Values.nats.external.credentials (ternary "chaos" "app" (eq .role "chaos")) }}
{{- if $c.secretName }}
{{- if $c.usernameKey }}
- name: NATSOAK_NATS_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $c.secretName }}
      key: {{ $c.usernameKey }}
{{- end }}
{{- if $c.passwordKey }}
- name: NATSOAK_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $c.secretName }}
      key: {{ $c.passwordKey }}
{{- end }}
{{- if $c.tokenKey }}
- name: NATSOAK_NATS_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $c.secretName }}
      key: {{ $c.tokenKey }}
{{- end }}
{{- if $c.credsKey }}
- name: NATSOAK_NATS_CREDS_FILE
  value: /etc/natsoak/nats-credentials/{{ $c.credsKey }}
{{- end }}
{{- end }}
{{- with $root.Values.nats.external.tls }}
{{- if .enabled }}
- name: NATSOAK_NATS_TLS_ENABLED
  value: "true"
{{- if .truststoreKey }}
- name: NATSOAK_NATS_TLS_TRUSTSTORE
  value: /etc/natsoak/nats-tls/{{ .truststoreKey }}
{{- end }}
{{- if .truststorePasswordKey }}
- name: NATSOAK_NATS_TLS_TRUSTSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .truststorePasswordKey }}
{{- end }}
{{- if .keystoreKey }}
- name: NATSOAK_NATS_TLS_KEYSTORE
  value: /etc/natsoak/nats-tls/{{ .keystoreKey }}
{{- end }}
{{- if .keystorePasswordKey }}
- name: NATSOAK_NATS_TLS_KEYSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ .keystorePasswordKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Checks that no template can express in the schema; each failure is one line naming the value. */}}
{{- define "natsoak.validate" -}}
{{- $v := .Values -}}
{{- if eq $v.nats.mode "external" -}}
{{- if not $v.nats.external.urls -}}
{{- fail "nats.external.urls: empty with nats.mode external; allowed: one or more nats:// or tls:// URLs" -}}
{{- end -}}
{{- range $name, $c := $v.nats.external.credentials -}}
{{- $methods := 0 -}}
{{- if or $c.usernameKey $c.passwordKey }}{{ $methods = add1 $methods }}{{ end -}}
{{- if $c.tokenKey }}{{ $methods = add1 $methods }}{{ end -}}
{{- if $c.credsKey }}{{ $methods = add1 $methods }}{{ end -}}
{{- if gt $methods 1 -}}
{{- fail (printf "nats.external.credentials.%s: more than one of usernameKey/passwordKey, tokenKey and credsKey; allowed: one method" $name) -}}
{{- end -}}
{{- if and (gt $methods 0) (not $c.secretName) -}}
{{- fail (printf "nats.external.credentials.%s.secretName: empty while keys are set; allowed: the name of a Secret holding them" $name) -}}
{{- end -}}
{{- if and $c.passwordKey (not $c.usernameKey) -}}
{{- fail (printf "nats.external.credentials.%s.passwordKey: set without usernameKey; allowed: both or neither" $name) -}}
{{- end -}}
{{- end -}}
{{- if and $v.nats.external.tls.enabled (not $v.nats.external.tls.secretName) (or $v.nats.external.tls.truststoreKey $v.nats.external.tls.keystoreKey) -}}
{{- fail "nats.external.tls.secretName: empty while store keys are set; allowed: the name of a Secret holding them" -}}
{{- end -}}
{{- else -}}
{{- $streamReplicas := dig "nats" "replicas" 3 ($v.config | default dict) | int -}}
{{- if gt $streamReplicas (int $v.nats.replicas) -}}
{{- fail (printf "config.nats.replicas: %d stream replicas need as many NATS nodes, nats.replicas is %d; allowed: at most nats.replicas" $streamReplicas (int $v.nats.replicas)) -}}
{{- end -}}
{{- end -}}
{{- if and $v.monitoring.podMonitor.enabled $v.monitoring.serviceMonitor.enabled -}}
{{- fail "monitoring.podMonitor.enabled and monitoring.serviceMonitor.enabled: both true would scrape every target twice; allowed: one of them" -}}
{{- end -}}
{{- end -}}

{{/* Does the cluster (or skipApiCheck) offer a Prometheus Operator kind? Argument: dict "root" $ "kind" "PodMonitor". */}}
{{- define "natsoak.hasMonitoringApi" -}}
{{- if or .root.Values.monitoring.skipApiCheck (.root.Capabilities.APIVersions.Has (printf "monitoring.coreos.com/v1/%s" .kind)) -}}
true
{{- end -}}
{{- end -}}

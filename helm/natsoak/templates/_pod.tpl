{{/*
The pod template of a natsoak role: one image, the role chosen by NATSOAK_ROLE.
Argument: dict "root" $ "role" "worker" "values" .Values.worker "serviceAccount" "..."
*/}}
{{- define "natsoak.rolePodTemplate" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
metadata:
  labels:
    {{- include "natsoak.labels" (dict "root" $root "component" .role) | nindent 4 }}
  annotations:
    # A changed setting rolls the pods: the settings are read once, at start.
    checksum/config: {{ include (print $root.Template.BasePath "/config.yaml") $root | sha256sum }}
spec:
  serviceAccountName: {{ .serviceAccount }}
  automountServiceAccountToken: {{ eq .role "chaos" }}
  # Kubernetes would add <SERVICE>_PORT-style variables for every Service; with the release named
  # natsoak they would start with NATSOAK_, natsoak's own prefix.
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
  securityContext:
    {{- include "natsoak.podSecurityContext" (dict "uid" (include "natsoak.uid" .)) | nindent 4 }}
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $v.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: natsoak
      image: {{ include "natsoak.image" $root }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      envFrom:
        - configMapRef:
            name: {{ include "natsoak.fullname" $root }}-config
      env:
        {{- include "natsoak.roleEnv" (dict "root" $root "role" .role) | nindent 8 }}
        - name: JAVA_TOOL_OPTIONS
          value: {{ $v.javaOptions | quote }}
        - name: QUARKUS_HTTP_HOST
          value: 0.0.0.0
        - name: QUARKUS_HTTP_PORT
          value: "8080"
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
      ports:
        - name: http
          containerPort: 8080
          protocol: TCP
      # /q/health/live answers as soon as the HTTP server runs; /q/health/ready only while the
      # role's component runs (RoleHealth), so a stopped or restarting component leaves the Service.
      startupProbe:
        httpGet:
          path: /q/health/live
          port: http
        periodSeconds: 2
        failureThreshold: 60
      livenessProbe:
        httpGet:
          path: /q/health/live
          port: http
        periodSeconds: 10
        timeoutSeconds: 5
        failureThreshold: 6
      readinessProbe:
        httpGet:
          path: /q/health/ready
          port: http
        periodSeconds: 5
        timeoutSeconds: 5
        failureThreshold: 3
      resources:
        {{- toYaml .values.resources | nindent 8 }}
      securityContext:
        {{- include "natsoak.containerSecurityContext" . | nindent 8 }}
      volumeMounts:
        # The JVM's and Quarkus' temporary files: the root filesystem is read-only.
        - name: tmp
          mountPath: /tmp
        {{- if eq $v.nats.mode "external" }}
        {{- $c := get $v.nats.external.credentials (ternary "chaos" "app" (eq .role "chaos")) }}
        {{- if $c.credsKey }}
        - name: nats-credentials
          mountPath: /etc/natsoak/nats-credentials
          readOnly: true
        {{- end }}
        {{- if and $v.nats.external.tls.enabled $v.nats.external.tls.secretName }}
        - name: nats-tls
          mountPath: /etc/natsoak/nats-tls
          readOnly: true
        {{- end }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if eq $v.nats.mode "external" }}
    {{- $c := get $v.nats.external.credentials (ternary "chaos" "app" (eq .role "chaos")) }}
    {{- if $c.credsKey }}
    - name: nats-credentials
      secret:
        secretName: {{ $c.secretName }}
        items:
          - key: {{ $c.credsKey }}
            path: {{ $c.credsKey }}
    {{- end }}
    {{- if and $v.nats.external.tls.enabled $v.nats.external.tls.secretName }}
    - name: nats-tls
      secret:
        secretName: {{ $v.nats.external.tls.secretName }}
    {{- end }}
    {{- end }}
{{- end -}}

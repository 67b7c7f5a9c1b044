{{/*
Chart name, truncated to the 63 characters of a DNS label.
*/}}
{{- define "corsgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: RELEASE-NAME, or RELEASE when it
already contains the chart name. Also the traffic Service's name, which
--address-service points at.
*/}}
{{- define "corsgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of the admin Service: FULLNAME-admin, kept within 63 characters.
*/}}
{{- define "corsgate.adminName" -}}
{{- printf "%s-admin" (include "corsgate.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{/*
chart label value: NAME-VERSION.
*/}}
{{- define "corsgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Version of corsgate actually deployed: image.tag, else appVersion.
*/}}
{{- define "corsgate.version" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/*
Labels of every resource.
*/}}
{{- define "corsgate.labels" -}}
helm.sh/chart: {{ include "corsgate.chart" . }}
{{ include "corsgate.selectorLabels" . }}
app.kubernetes.io/version: {{ include "corsgate.version" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: corsgate
{{- end }}

{{/*
Selector labels: stable across upgrades (never add the version here).
*/}}
{{- define "corsgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "corsgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{/*
ServiceAccount the pods run as.
*/}}
{{- define "corsgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "corsgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: REPOSITORY@DIGEST, else REPOSITORY:TAG.
*/}}
{{- define "corsgate.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "corsgate.version" .) }}
{{- end }}
{{- end }}

{{/*
Drain timeout as a Go duration for --drain-timeout.
*/}}
{{- define "corsgate.drainTimeout" -}}
{{- printf "%ds" (int .Values.controller.drainTimeoutSeconds) }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the value, else drain timeout + 15 s. Fails
when it would not leave the drain time to finish.
*/}}
{{- define "corsgate.terminationGracePeriodSeconds" -}}
{{- $drain := int .Values.controller.drainTimeoutSeconds }}
{{- $grace := add $drain 15 }}
{{- if not (kindIs "invalid" .Values.terminationGracePeriodSeconds) }}
{{- $grace = int .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- if le $grace $drain }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be larger than controller.drainTimeoutSeconds (%d), or Kubernetes kills the pod before in-flight requests finish; raise it or leave it empty (drain + 15)" $grace $drain) }}
{{- end }}
{{- $grace }}
{{- end }}

{{/*
Minimum number of replicas that will run: autoscaling.minReplicas with the
HPA, else replicaCount.
*/}}
{{- define "corsgate.minReplicas" -}}
{{- if .Values.autoscaling.enabled }}
{{- int .Values.autoscaling.minReplicas }}
{{- else }}
{{- int .Values.replicaCount }}
{{- end }}
{{- end }}

{{/*
Checks values that the schema cannot: listener ports with the offset,
duplicate names and ports, the admin port. Renders nothing.
*/}}
{{- define "corsgate.validate" -}}
{{- $offset := int .Values.portOffset }}
{{- $admin := int .Values.admin.port }}
{{- if not .Values.listeners }}
{{- fail "listeners is empty: list the port of every Gateway listener this controller serves, e.g. [{name: http, port: 80}]" }}
{{- end }}
{{- $names := dict }}
{{- $ports := dict }}
{{- range .Values.listeners }}
{{- $port := int .port }}
{{- $target := add $port $offset }}
{{- if gt $target 65535 }}
{{- fail (printf "listener %q: port %d + portOffset %d = %d is above 65535; lower portOffset or the port" .name $port $offset $target) }}
{{- end }}
{{- if eq $target $admin }}
{{- fail (printf "listener %q: port %d + portOffset %d = %d collides with admin.port; change admin.port or portOffset" .name $port $offset $target) }}
{{- end }}
{{- if eq .name "admin" }}
{{- fail (printf "listener name %q is reserved for the admin port; rename the listener" .name) }}
{{- end }}
{{- if hasKey $names .name }}
{{- fail (printf "listener name %q appears twice; names must be unique" .name) }}
{{- end }}
{{- $key := printf "%d/%s" $port (default "TCP" .protocol) }}
{{- if hasKey $ports $key }}
{{- fail (printf "listener port %s appears twice (listeners %q and %q); ports must be unique" $key (get $ports $key) .name) }}
{{- end }}
{{- $_ := set $names .name true }}
{{- $_ := set $ports $key .name }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if and .Values.autoscaling.enabled (kindIs "invalid" .Values.autoscaling.targetCPUUtilizationPercentage) (kindIs "invalid" .Values.autoscaling.targetMemoryUtilizationPercentage) }}
{{- fail "autoscaling.enabled needs targetCPUUtilizationPercentage or targetMemoryUtilizationPercentage" }}
{{- end }}
{{- end }}

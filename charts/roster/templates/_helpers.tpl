{{/* The chart's name. */}}
{{- define "roster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every object's name: the release name, or release-chart when
the release name does not contain the chart's. With release "roster" the
names are config/default's (roster-controller-manager, roster-webhook-service, ...).
*/}}
{{- define "roster.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "roster.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. app.kubernetes.io/name is what config/default sets. */}}
{{- define "roster.labels" -}}
app.kubernetes.io/name: {{ include "roster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "roster.chart" . }}
{{- end -}}

{{/* The manager's pods. */}}
{{- define "roster.selectorLabels" -}}
control-plane: controller-manager
app.kubernetes.io/name: {{ include "roster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "roster.serviceAccountName" -}}
{{- include "roster.fullname" . }}-controller-manager
{{- end -}}

{{- define "roster.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "roster.notifierSecret" -}}
{{- default (printf "%s-notifier" (include "roster.fullname" .)) .Values.notifier.secretName -}}
{{- end -}}

{{- define "roster.selfManaged" -}}
{{- if eq .Values.certificates.mode "self-managed" }}true{{ end -}}
{{- end -}}

{{/* The documents of a multi-document YAML file shipped in files/. */}}
{{- define "roster.documents" -}}
{{- range $doc := regexSplit "(?m)^---\\s*$" . -1 }}
{{- $obj := fromYaml $doc }}
{{- if $obj.kind }}
{{ toJson $obj }}
{{- end }}
{{- end }}
{{- end -}}

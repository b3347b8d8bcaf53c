{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "s2edit.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name. */}}
{{- define "s2edit.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "s2edit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ include "s2edit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include with (dict "root" . "component" "gateway"). */}}
{{- define "s2edit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "s2edit.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Environment shared by gateway and worker: Kafka and S3. */}}
{{- define "s2edit.sharedEnv" -}}
- name: KAFKA_BOOTSTRAP_SERVERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: S2EDIT_STORAGE_ENDPOINT
  value: {{ .Values.storage.endpoint | quote }}
- name: S2EDIT_STORAGE_BUCKET
  value: {{ .Values.storage.bucket | quote }}
- name: S2EDIT_STORAGE_REGION
  value: {{ .Values.storage.region | quote }}
- name: S2EDIT_STORAGE_PATH_STYLE
  value: {{ .Values.storage.pathStyle | quote }}
- name: S2EDIT_STORAGE_ACCESS_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.storage.existingSecret }}, key: access-key}
- name: S2EDIT_STORAGE_SECRET_KEY
  valueFrom:
    secretKeyRef: {name: {{ .Values.storage.existingSecret }}, key: secret-key}
{{- end -}}

{{- define "s2edit.image" -}}
{{ .image.repository }}:{{ .image.tag | default .root.Chart.AppVersion }}
{{- end -}}

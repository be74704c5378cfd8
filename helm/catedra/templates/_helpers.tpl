{{/* The release's resource names: <release>-catedra, or <release> when it already says catedra. */}}
{{- define "catedra.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "catedra.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component (web, worker, beat, migrations): pass (list $ "web"). */}}
{{- define "catedra.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "catedra.image" -}}
{{ printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end -}}

{{- define "catedra.secretName" -}}
{{- default (printf "%s-env" (include "catedra.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "catedra.controlPlaneHost" -}}
{{- default .Values.baseDomain .Values.controlPlaneHost -}}
{{- end -}}

{{/* The environment every Catedra container gets: the ConfigMap, then the Secret. */}}
{{- define "catedra.envFrom" -}}
- configMapRef:
    name: {{ include "catedra.fullname" . }}-config
- secretRef:
    name: {{ include "catedra.secretName" . }}
{{- end -}}

{{/* Pod annotations that roll the pods when their configuration changes. */}}
{{- define "catedra.configChecksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end -}}

{{/* Pod-level settings shared by every Catedra pod. */}}
{{- define "catedra.podSettings" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

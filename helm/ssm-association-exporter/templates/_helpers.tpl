{{/*
Chart name, or nameOverride. Kubernetes names are at most 63 characters.
*/}}
{{- define "ssm-association-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: fullnameOverride, else <release>-<name> (just <release> when it
already contains the name).
*/}}
{{- define "ssm-association-exporter.fullname" -}}
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
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "ssm-association-exporter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource.
*/}}
{{- define "ssm-association-exporter.labels" -}}
helm.sh/chart: {{ include "ssm-association-exporter.chart" . }}
{{ include "ssm-association-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: exporter
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels: they identify the release's pods, so they never change between upgrades.
*/}}
{{- define "ssm-association-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ssm-association-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the ServiceAccount the pod runs as.
*/}}
{{- define "ssm-association-exporter.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ssm-association-exporter.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: [registry/]repository@digest when a digest is set, else [registry/]repository:tag, the tag
defaulting to the chart's appVersion.
*/}}
{{- define "ssm-association-exporter.image" -}}
{{- $repository := .Values.image.repository }}
{{- if .Values.image.registry }}
{{- $repository = printf "%s/%s" .Values.image.registry .Values.image.repository }}
{{- end }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/*
A duration such as "8d", "192h" or "1h30m" (units d, h, m, s, ms; the same syntax as the exporter's flags) in
whole seconds. Called with the duration string as its context; fails on anything else, so that a bad value
cannot render a rule that never fires.
*/}}
{{- define "ssm-association-exporter.durationSeconds" -}}
{{- $text := toString . }}
{{- if not (regexMatch "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$" $text) }}
{{- fail (printf "%q is not a duration such as 8d, 192h or 1h30m" $text) }}
{{- end }}
{{- $ms := 0 }}
{{- range $part := regexFindAll "[0-9]+(ms|s|m|h|d)" $text -1 }}
{{- $digits := regexFind "^[0-9]+" $part }}
{{- $n := atoi $digits }}
{{- $unit := trimPrefix $digits $part }}
{{- if eq $unit "d" }}{{ $ms = add $ms (mul $n 86400000) }}{{ end }}
{{- if eq $unit "h" }}{{ $ms = add $ms (mul $n 3600000) }}{{ end }}
{{- if eq $unit "m" }}{{ $ms = add $ms (mul $n 60000) }}{{ end }}
{{- if eq $unit "s" }}{{ $ms = add $ms (mul $n 1000) }}{{ end }}
{{- if eq $unit "ms" }}{{ $ms = add $ms $n }}{{ end }}
{{- end }}
{{- if lt (int64 $ms) (int64 1000) }}
{{- fail (printf "%q is shorter than one second" $text) }}
{{- end }}
{{- div $ms 1000 }}
{{- end }}

{{/*
Whole seconds (an integer) as a Prometheus duration, largest units first ("1h5m", "2d3h", "45s"), for range
selectors. Called with the number of seconds as its context.
*/}}
{{- define "ssm-association-exporter.promDuration" -}}
{{- $rest := int64 . }}
{{- if le $rest 0 }}
{{- fail (printf "%d seconds is no positive duration" $rest) }}
{{- end }}
{{- $out := "" }}
{{- range $unit := list (list "d" 86400) (list "h" 3600) (list "m" 60) (list "s" 1) }}
{{- $size := int64 (index $unit 1) }}
{{- if ge $rest $size }}
{{- $out = printf "%s%d%s" $out (div $rest $size) (index $unit 0) }}
{{- $rest = mod $rest $size }}
{{- end }}
{{- end }}
{{- $out }}
{{- end }}

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

{{/*
Where the chart mounts the web config (webConfig) and its certificates: Secrets mounted as whole directories,
never with subPath, so that a changed Secret reaches the running pod (the exporter re-reads the files).
*/}}
{{- define "ssm-association-exporter.webConfigDir" -}}/etc/ssm-association-exporter/web{{- end }}
{{- define "ssm-association-exporter.tlsDir" -}}/etc/ssm-association-exporter/tls{{- end }}
{{- define "ssm-association-exporter.clientCADir" -}}/etc/ssm-association-exporter/client-ca{{- end }}

{{/*
"true" when the exporter serves TLS as far as the chart knows: webConfig is enabled with a certificate Secret
(webConfig.tls.secretName) or a tls_server_config in webConfig.config; else empty. An existingSecret's content
is unknown to the chart: set serviceMonitor.scheme for it.
*/}}
{{- define "ssm-association-exporter.webConfigTLS" -}}
{{- $web := .Values.webConfig }}
{{- if and $web.enabled (or $web.tls.secretName (get ($web.config | default dict) "tls_server_config")) }}true{{ end }}
{{- end }}

{{/*
The web config file rendered from webConfig.config (exporter-toolkit format), with the paths of the mounted
certificates filled in: cert_file and key_file from webConfig.tls.secretName, and client_ca_file when
client_auth_type verifies client certificates (from webConfig.tls.clientCASecretName, else the ca.crt of
webConfig.tls.secretName). Fails on what the exporter would refuse to start with, naming the value.
*/}}
{{- define "ssm-association-exporter.webConfigFile" -}}
{{- $web := .Values.webConfig }}
{{- $config := deepCopy ($web.config | default dict) }}
{{- $server := deepCopy (get $config "tls_server_config" | default dict) }}
{{- $tlsDir := include "ssm-association-exporter.tlsDir" . }}
{{- if $web.tls.secretName }}
{{- range $key := list "cert_file" "key_file" "cert" "key" }}
{{- if hasKey $server $key }}
{{- fail (printf "webConfig.config.tls_server_config.%s cannot be combined with webConfig.tls.secretName (the chart sets cert_file and key_file to its tls.crt and tls.key): remove one of them" $key) }}
{{- end }}
{{- end }}
{{- $_ := set $server "cert_file" (printf "%s/tls.crt" $tlsDir) }}
{{- $_ := set $server "key_file" (printf "%s/tls.key" $tlsDir) }}
{{- end }}
{{- $verifies := has (toString (get $server "client_auth_type")) (list "VerifyClientCertIfGiven" "RequireAndVerifyClientCert") }}
{{- $hasCA := or (hasKey $server "client_ca_file") (hasKey $server "client_ca") }}
{{- if $web.tls.clientCASecretName }}
{{- if not $verifies }}
{{- fail "webConfig.tls.clientCASecretName needs webConfig.config.tls_server_config.client_auth_type VerifyClientCertIfGiven or RequireAndVerifyClientCert (a client CA without a verifying client_auth_type is refused)" }}
{{- end }}
{{- if $hasCA }}
{{- fail "webConfig.tls.clientCASecretName cannot be combined with webConfig.config.tls_server_config.client_ca_file or client_ca: remove one of them" }}
{{- end }}
{{- $_ := set $server "client_ca_file" (printf "%s/ca.crt" (include "ssm-association-exporter.clientCADir" .)) }}
{{- else if and $verifies (not $hasCA) }}
{{- if not $web.tls.secretName }}
{{- fail (printf "webConfig.config.tls_server_config.client_auth_type %s needs a client CA: set webConfig.tls.clientCASecretName, webConfig.tls.secretName (its ca.crt) or client_ca_file" (get $server "client_auth_type")) }}
{{- end }}
{{- $_ := set $server "client_ca_file" (printf "%s/ca.crt" $tlsDir) }}
{{- end }}
{{- if $server }}
{{- if not (or (hasKey $server "cert_file") (hasKey $server "cert")) }}
{{- fail "webConfig.config.tls_server_config has no certificate: set webConfig.tls.secretName (or cert_file and key_file)" }}
{{- end }}
{{- $_ := set $config "tls_server_config" $server }}
{{- end }}
{{- toYaml $config }}
{{- end }}

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

{{/*
Checks of the values that apply to the exporter's workload, the Deployment or (sharding.enabled) the
StatefulSet: what the exporter would refuse to start with, failed at render time with the value named.
*/}}
{{- define "ssm-association-exporter.validate" -}}
{{- if .Values.sharding.enabled }}
{{- if ne (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount %d cannot be combined with sharding.enabled: the StatefulSet runs sharding.replicas pods (one per shard); leave replicaCount at 1" (int .Values.replicaCount)) }}
{{- end }}
{{- else if gt (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount %d without sharding.enabled: every replica of an unsharded exporter polls every account and region, doubling the AWS API calls (and the alerts) for the same data. Keep replicaCount 1, or set sharding.enabled=true and sharding.replicas=%d to split the targets between that many pods" (int .Values.replicaCount) (int .Values.replicaCount)) }}
{{- end }}
{{- if and .Values.config.targets (or .Values.config.regions .Values.config.filters) }}
{{- fail "config.targets cannot be combined with config.regions or config.filters (the exporter refuses --config.file next to --aws.region and --ssm.filter): set config.regions and config.filters to [] and list the regions and filters of each target in config.targets" }}
{{- end }}
{{- with .Values.config.organization }}
{{- if or $.Values.config.regions $.Values.config.filters }}
{{- fail "config.organization cannot be combined with config.regions or config.filters (the exporter refuses --config.file next to --aws.region and --ssm.filter): set config.regions and config.filters to [] and list the regions and filters in config.organization" }}
{{- end }}
{{- $excluded := .exclude_accounts | default list }}
{{- range $id := .include_accounts | default list }}
{{- if has $id $excluded }}
{{- fail (printf "config.organization.include_accounts: %q is also in config.organization.exclude_accounts (the exporter refuses an account both included and excluded)" $id) }}
{{- end }}
{{- end }}
{{- end }}
{{- $web := .Values.webConfig }}
{{- if $web.enabled }}
{{- if and $web.existingSecret $web.config }}
{{- fail "webConfig.existingSecret cannot be combined with webConfig.config: the web config file comes from one of them" }}
{{- end }}
{{- if not (or $web.existingSecret $web.config $web.tls.secretName) }}
{{- fail "webConfig.enabled needs webConfig.existingSecret, webConfig.config or webConfig.tls.secretName: an empty web config protects nothing" }}
{{- end }}
{{- if eq (int $web.probePort) (int .Values.config.listenPort) }}
{{- fail (printf "webConfig.probePort %d is config.listenPort: the probe listener needs a port of its own" (int $web.probePort)) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The exporter's pod template, shared by the Deployment and (sharding.enabled) the StatefulSet: the same
hardened pod, probes, volumes and arguments; sharded, the container also gets its pod name (POD_NAME, from the
downward API) and `--shard.pod-name=$(POD_NAME) --total-shards=<sharding.replicas>`.
*/}}
{{- define "ssm-association-exporter.podTemplate" -}}
{{- $web := .Values.webConfig -}}
metadata:
  annotations:
    {{- /* A change of config or aws rolls the pods. Most of config is in the arguments, which roll the pods
           anyway; config.targets and config.organization are in the targets ConfigMap, which does not, so the
           checksum (over the whole of config, both included) is what restarts the exporter on a new file. */}}
    checksum/config: {{ dict "config" .Values.config "aws" .Values.aws | toJson | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "ssm-association-exporter.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "ssm-association-exporter.serviceAccountName" . }}
  automountServiceAccountToken: {{ .Values.serviceAccount.automountServiceAccountToken }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . | quote }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: exporter
      image: {{ include "ssm-association-exporter.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - {{ printf "--web.listen-address=:%d" (int .Values.config.listenPort) | quote }}
        - {{ printf "--web.telemetry-path=%s" .Values.config.telemetryPath | quote }}
        - {{ printf "--poll.interval=%s" .Values.config.pollInterval | quote }}
        - {{ printf "--poll.concurrency=%d" (int .Values.config.pollConcurrency) | quote }}
        {{- if .Values.config.pollTimeout }}
        - {{ printf "--poll.timeout=%s" .Values.config.pollTimeout | quote }}
        {{- end }}
        - {{ printf "--poll.max-staleness=%s" .Values.config.pollMaxStaleness | quote }}
        {{- if .Values.config.describeAssociations }}
        - "--ssm.describe-associations"
        {{- end }}
        {{- if .Values.config.tags }}
        - "--ssm.tags"
        {{- range .Values.config.tags }}
        - {{ printf "--ssm.tag=%s" . | quote }}
        {{- end }}
        {{- end }}
        {{- if .Values.config.failedTargets.enabled }}
        - "--ssm.failed-targets"
        - {{ printf "--ssm.failed-targets.max-per-association=%d" (int .Values.config.failedTargets.maxPerAssociation) | quote }}
        - {{ printf "--ssm.failed-targets.max-per-account-region=%d" (int .Values.config.failedTargets.maxPerAccountRegion) | quote }}
        {{- end }}
        {{- if or .Values.config.describeAssociations .Values.config.tags .Values.config.failedTargets.enabled }}
        - {{ printf "--ssm.describe-interval=%s" .Values.config.describeInterval | quote }}
        - {{ printf "--ssm.enrichment-concurrency=%d" (int .Values.config.enrichmentConcurrency) | quote }}
        {{- end }}
        {{- if or .Values.config.targets .Values.config.organization }}
        - "--config.file=/etc/ssm-association-exporter/targets.yaml"
        {{- end }}
        {{- if .Values.config.organization }}
        - {{ printf "--discovery.interval=%s" .Values.config.discoveryInterval | quote }}
        {{- end }}
        {{- range .Values.config.regions }}
        - {{ printf "--aws.region=%s" . | quote }}
        {{- end }}
        - {{ printf "--aws.request-timeout=%s" .Values.config.requestTimeout | quote }}
        - {{ printf "--aws.max-attempts=%d" (int .Values.config.maxAttempts) | quote }}
        {{- range .Values.config.filters }}
        - {{ printf "--ssm.filter=%s" . | quote }}
        {{- end }}
        - {{ printf "--log.level=%s" .Values.config.logLevel | quote }}
        {{- if $web.enabled }}
        - {{ printf "--web.config.file=%s/web-config.yml" (include "ssm-association-exporter.webConfigDir" .) | quote }}
        - {{ printf "--web.probe-listen-address=:%d" (int $web.probePort) | quote }}
        {{- end }}
        {{- if .Values.sharding.enabled }}
        {{- /* The StatefulSet names its pods <fullname>-0 to -<n-1>; the exporter takes its shard from that ordinal. */}}
        - "--shard.pod-name=$(POD_NAME)"
        - {{ printf "--total-shards=%d" (int .Values.sharding.replicas) | quote }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      {{- if or .Values.sharding.enabled .Values.aws.region .Values.extraEnv }}
      env:
        {{- if .Values.sharding.enabled }}
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        {{- end }}
        {{- with .Values.aws.region }}
        - name: AWS_REGION
          value: {{ . | quote }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ int .Values.config.listenPort }}
          protocol: TCP
        {{- if $web.enabled }}
        {{- /* The unauthenticated plain-HTTP probe listener (only /healthz and /readyz): the kubelet has no
               client certificate, and basic auth in a probe would put the password in the pod spec. The
               Service does not expose it. */}}
        - name: probe
          containerPort: {{ int $web.probePort }}
          protocol: TCP
        {{- end }}
      livenessProbe:
        httpGet:
          path: /healthz
          {{- if $web.enabled }}
          port: probe
          scheme: HTTP
          {{- else }}
          port: http
          {{- end }}
        {{- with .Values.livenessProbe }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      readinessProbe:
        httpGet:
          path: /readyz
          {{- if $web.enabled }}
          port: probe
          scheme: HTTP
          {{- else }}
          port: http
          {{- end }}
        {{- with .Values.readinessProbe }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        # The root filesystem is read-only; Node.js and the AWS SDK get a writable /tmp.
        - name: tmp
          mountPath: /tmp
        {{- if or .Values.config.targets .Values.config.organization }}
        # config.targets and config.organization, from the targets ConfigMap (--config.file).
        - name: targets
          mountPath: /etc/ssm-association-exporter
          readOnly: true
        {{- end }}
        {{- if $web.enabled }}
        # webConfig: Secrets mounted as directories (no subPath), so that an edited web config or a renewed
        # certificate reaches the running pod; the exporter re-reads changed files.
        - name: web-config
          mountPath: {{ include "ssm-association-exporter.webConfigDir" . }}
          readOnly: true
        {{- if $web.tls.secretName }}
        - name: tls
          mountPath: {{ include "ssm-association-exporter.tlsDir" . }}
          readOnly: true
        {{- end }}
        {{- if $web.tls.clientCASecretName }}
        - name: client-ca
          mountPath: {{ include "ssm-association-exporter.clientCADir" . }}
          readOnly: true
        {{- end }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {}
    {{- if or .Values.config.targets .Values.config.organization }}
    - name: targets
      configMap:
        name: {{ include "ssm-association-exporter.fullname" . }}-targets
    {{- end }}
    {{- if $web.enabled }}
    {{- /* Readable by the owner and the pod's fsGroup (0440) when there is one, else by all (0444): the
           files are owned by root, the exporter runs as runAsUser. */}}
    {{- $mode := ternary 288 292 (not (empty .Values.podSecurityContext.fsGroup)) }}
    - name: web-config
      secret:
        secretName: {{ $web.existingSecret | default (printf "%s-web-config" (include "ssm-association-exporter.fullname" .)) }}
        defaultMode: {{ $mode }}
        items:
          - key: {{ ternary $web.existingSecretKey "web-config.yml" (not (empty $web.existingSecret)) | quote }}
            path: web-config.yml
    {{- with $web.tls.secretName }}
    - name: tls
      secret:
        secretName: {{ . }}
        defaultMode: {{ $mode }}
    {{- end }}
    {{- with $web.tls.clientCASecretName }}
    - name: client-ca
      secret:
        secretName: {{ . }}
        defaultMode: {{ $mode }}
        items:
          - key: {{ $web.tls.clientCAKey | quote }}
            path: ca.crt
    {{- end }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
Name of the StatefulSet's headless Service (sharding.enabled): <fullname>-headless, within 63 characters.
*/}}
{{- define "ssm-association-exporter.headlessServiceName" -}}
{{- printf "%s-headless" (include "ssm-association-exporter.fullname" . | trunc 54 | trimSuffix "-") }}
{{- end }}

{{- /*
Opt-in rules, by the group of files/alerts.yaml they join (at its end). files/alerts.yaml holds exactly the
rules the chart renders by default, so rules that are off by default live here; templates/prometheusrule.yaml
treats them like the file's rules (prometheusRule.alerts.<name> for the alerts, the threshold recording rules
set from values). Written as one raw string, so that the Prometheus templates in the annotations pass
through Helm untouched.

SsmAssociationNotExecuted is the schedule-independent backstop of SsmAssociationOverdue: an association with
a recurring schedule (cron or rate) that has not run for longer than a fixed threshold, whether or not the
exporter works out its scheduled times (a schedule it cannot read has no previous-slot series).
Associations without a schedule and at() ones never run by themselves and are left out.
*/}}
{{- define "ssm-association-exporter.optionalRules" -}}
{{ `
ssm-association-exporter.associations:
  # How long an association with a recurring schedule may go without running before
  # SsmAssociationNotExecuted fires, in seconds (default 691200 = 8 days: a weekly schedule plus one day).
  # It must be longer than your longest schedule interval. Chart:
  # prometheusRule.alerts.SsmAssociationNotExecuted.threshold.
  - record: aws_ssm:association_not_executed_threshold_seconds
    expr: vector(691200)

  - alert: SsmAssociationNotExecuted
    expr: |-
      (
          time() - aws_ssm_association_last_execution_timestamp_seconds
            > on() group_left()
          aws_ssm:association_not_executed_threshold_seconds
      )
      and on(account_id, region, association_id)
        aws_ssm_association_info{schedule_expression=~"(cron|rate)\\(.*"}
    for: 10m
    labels:
      severity: warning
    annotations:
      summary: >-
        SSM association {{ if $labels.association_name }}{{ $labels.association_name }} ({{ $labels.association_id }}){{ else }}{{ $labels.association_id }}{{ end }}
        has not run for {{ $value | humanizeDuration }} in {{ $labels.account_id }}/{{ $labels.region }}
      description: >-
        State Manager association {{ if $labels.association_name }}{{ $labels.association_name }} ({{ $labels.association_id }}){{ else }}{{ $labels.association_id }}{{ end }},
        document {{ $labels.document_name }}, in account {{ $labels.account_id }}, region {{ $labels.region }},
        has a recurring schedule and last ran {{ $value | humanizeDuration }} ago, longer than the allowed
        {{ with query "aws_ssm:association_not_executed_threshold_seconds" }}{{ . | first | value | humanizeDuration }}{{ else }}threshold{{ end }}
        (recording rule aws_ssm:association_not_executed_threshold_seconds). Check its schedule, whether it
        was disabled, and whether its targets still exist and are managed (SSM Agent online).
      runbook_url: https://github.com/ssm-association-exporter/ssm-association-exporter/blob/main/README.md#runbook-ssmassociationnotexecuted
` }}
{{- end }}

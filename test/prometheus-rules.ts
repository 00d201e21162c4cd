/** The shape of a Prometheus rule file, as the rule and chart tests read it. */
export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: Rule[];
}

export interface RuleFile {
  groups: RuleGroup[];
}

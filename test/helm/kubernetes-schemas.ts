/**
 * Validation of rendered objects against the Kubernetes OpenAPI schemas (kubernetes-models) and the Prometheus
 * Operator CRD schemas (@kubernetes-models/prometheus-operator). Only the kinds the chart renders are mapped:
 * a template that starts rendering another kind fails until it is added here.
 *
 * These schemas check types, required fields, enums and patterns; like the API server's OpenAPI schemas they
 * do not reject unknown fields, which the tests' assertions on named fields make up for where it matters.
 */
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { AlertmanagerConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1/AlertmanagerConfig";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { K8sObject } from "./helm.js";

interface Model {
  validate(): void;
}

/** `apiVersion kind` → a model of it built from the rendered data. */
const MODELS: Record<string, (data: never) => Model> = {
  "v1 ConfigMap": (data) => new ConfigMap(data),
  "v1 Secret": (data) => new Secret(data),
  "v1 Service": (data) => new Service(data),
  "v1 ServiceAccount": (data) => new ServiceAccount(data),
  "apps/v1 Deployment": (data) => new Deployment(data),
  "apps/v1 StatefulSet": (data) => new StatefulSet(data),
  "monitoring.coreos.com/v1 ServiceMonitor": (data) => new ServiceMonitor(data),
  "monitoring.coreos.com/v1 PrometheusRule": (data) => new PrometheusRule(data),
  "monitoring.coreos.com/v1alpha1 AlertmanagerConfig": (data) => new AlertmanagerConfig(data),
};

export const KNOWN_KINDS = Object.keys(MODELS);

/** Throws an Error naming the object and the first schema violations, when it has any or its kind is unknown. */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion} ${object.kind}`;
  const name = `${key} ${object.metadata.name}`;
  const model = MODELS[key];
  if (model === undefined) throw new Error(`${name}: no schema for ${key} (known: ${KNOWN_KINDS.join(", ")})`);
  // The models set apiVersion and kind themselves; what they validate is the rest of the rendered data.
  const { apiVersion: _apiVersion, kind: _kind, ...data } = object;
  try {
    model(data as never).validate();
  } catch (err) {
    throw new Error(`${name}: ${(err as Error).message}`);
  }
}

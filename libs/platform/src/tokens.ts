/** Injection tokens the platform module provides to every service. */
export const SERVICE_NAME = Symbol('orzo:service-name');
export const SERVICE_CONFIG = Symbol('orzo:service-config');
export const LOGGER = Symbol('orzo:logger');
export const METRICS_REGISTRY = Symbol('orzo:metrics-registry');

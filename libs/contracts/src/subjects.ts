/**
 * Every event subject, versioned: orzo.<domain>.<event>.v1. A breaking change is a new
 * version published beside the old one until nobody reads the old one.
 */
export const Subjects = {
  BuildRequested: 'orzo.build.requested.v1',
  BuildStarted: 'orzo.build.started.v1',
  BuildImageBuilt: 'orzo.build.image-built.v1',
  BuildFailed: 'orzo.build.failed.v1',
  BuildStepRequested: 'orzo.build.step-requested.v1',
  BuildStepFinished: 'orzo.build.step-finished.v1',
  DeployRequested: 'orzo.deploy.requested.v1',
  DeployProgressed: 'orzo.deploy.progressed.v1',
  DeployCompleted: 'orzo.deploy.completed.v1',
  DeployFailed: 'orzo.deploy.failed.v1',
  InstanceStarted: 'orzo.instance.started.v1',
  InstanceStopped: 'orzo.instance.stopped.v1',
  InstanceHealthy: 'orzo.instance.healthy.v1',
  InstanceUnhealthy: 'orzo.instance.unhealthy.v1',
  DiscoveryEndpointsChanged: 'orzo.discovery.endpoints-changed.v1',
  AlertRaised: 'orzo.alert.raised.v1',
  AlertResolved: 'orzo.alert.resolved.v1',
  ConfigChanged: 'orzo.config.changed.v1',
  JobsDesired: 'orzo.job.desired.v1',
  JobRunRequested: 'orzo.job.run-requested.v1',
  JobRunStarted: 'orzo.job.run-started.v1',
  JobActionFinished: 'orzo.job.action-finished.v1',
  JobRunSucceeded: 'orzo.job.run-succeeded.v1',
  JobRunFailed: 'orzo.job.run-failed.v1',
  JobRunLate: 'orzo.job.run-late.v1',
} as const;

export type Subject = (typeof Subjects)[keyof typeof Subjects];

export const ALL_SUBJECTS: readonly Subject[] = Object.values(Subjects);

/** Prefix of the dead-letter subjects: orzo.dlq.<consumer>.<original subject>. */
export const DEAD_LETTER_PREFIX = 'orzo.dlq';

export function deadLetterSubject(consumer: string, subject: string): string {
  return `${DEAD_LETTER_PREFIX}.${consumer}.${subject}`;
}

/** Headers set on a dead-lettered message, beside the original body. */
export const DeadLetterHeaders = {
  Error: 'Orzo-Error',
  OriginalSubject: 'Orzo-Original-Subject',
  Consumer: 'Orzo-Consumer',
  DeliveryCount: 'Orzo-Delivery-Count',
  StreamSequence: 'Orzo-Stream-Sequence',
} as const;

export interface StreamDefinition {
  name: string;
  subjects: string[];
  description: string;
  /** How long messages are kept (seconds). */
  maxAgeSeconds: number;
  /** Window in which a repeated Nats-Msg-Id is dropped (seconds); never above maxAge. */
  duplicateWindowSeconds: number;
}

const DAY = 24 * 3600;

/** One stream per domain, so retention can differ; plus the dead-letter stream. */
export const STREAMS: readonly StreamDefinition[] = [
  { name: 'ORZO_BUILD', subjects: ['orzo.build.>'], description: 'builds', maxAgeSeconds: 30 * DAY, duplicateWindowSeconds: 120 },
  { name: 'ORZO_DEPLOY', subjects: ['orzo.deploy.>'], description: 'deploys', maxAgeSeconds: 30 * DAY, duplicateWindowSeconds: 120 },
  { name: 'ORZO_INSTANCE', subjects: ['orzo.instance.>'], description: 'instance lifecycle and health', maxAgeSeconds: 7 * DAY, duplicateWindowSeconds: 120 },
  { name: 'ORZO_DISCOVERY', subjects: ['orzo.discovery.>'], description: 'service discovery', maxAgeSeconds: 7 * DAY, duplicateWindowSeconds: 120 },
  { name: 'ORZO_ALERT', subjects: ['orzo.alert.>'], description: 'alerts', maxAgeSeconds: 30 * DAY, duplicateWindowSeconds: 120 },
  { name: 'ORZO_CONFIG', subjects: ['orzo.config.>'], description: 'soa-configs changes', maxAgeSeconds: 30 * DAY, duplicateWindowSeconds: 120 },
  // A scheduled run's events carry ids derived from the run id, so a second scheduler or a
  // redelivery publishing the same run is dropped within the window.
  { name: 'ORZO_JOB', subjects: ['orzo.job.>'], description: 'timed jobs: desired schedule and runs', maxAgeSeconds: 30 * DAY, duplicateWindowSeconds: 600 },
  {
    name: 'ORZO_BUILD_LOG',
    subjects: ['orzo.buildlog.>'],
    description: 'build logs, line by line (see BuildLogs)',
    maxAgeSeconds: 7 * DAY,
    duplicateWindowSeconds: 120,
  },
  {
    name: 'ORZO_DLQ',
    subjects: [`${DEAD_LETTER_PREFIX}.>`],
    description: 'dead letters: events a consumer could not handle',
    maxAgeSeconds: 90 * DAY,
    duplicateWindowSeconds: 120,
  },
];

/** The stream that holds a subject, or undefined when no stream does. */
export function streamForSubject(subject: string): StreamDefinition | undefined {
  return STREAMS.find((s) => s.subjects.some((pattern) => subjectMatches(pattern, subject)));
}

/** NATS subject matching: `*` matches one token, a trailing `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * Build logs: not events (no envelope, nobody reacts to them) but a JetStream stream, so the
 * CLI can replay a past build and follow a running one through the same ordered consumer.
 * Each message is one JSON BuildLogLine; the last message of a build has `end` set.
 */
export const BuildLogs = {
  stream: 'ORZO_BUILD_LOG',
  subject: (service: string, buildId: string) => `orzo.buildlog.${service}.${buildId}`,
  /** Every build of one service. */
  serviceFilter: (service: string) => `orzo.buildlog.${service}.*`,
} as const;

export interface BuildLogLine {
  /** ISO time the builder saw the line. */
  at: string;
  line: string;
  /** Set on the last message of a build: its outcome. */
  end?: 'succeeded' | 'failed' | 'cancelled';
}

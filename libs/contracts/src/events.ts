import { AlertRaised, AlertResolved } from './generated/orzo/events/v1/alert';
import { BuildFailed, BuildImageBuilt, BuildRequested, BuildStarted, PipelineStepFinished, PipelineStepRequested } from './generated/orzo/events/v1/build';
import { ConfigChanged } from './generated/orzo/events/v1/config';
import { DeployCompleted, DeployFailed, DeployProgressed, DeployRequested } from './generated/orzo/events/v1/deploy';
import { EndpointsChanged } from './generated/orzo/events/v1/discovery';
import { JobActionFinished, JobRunFailed, JobRunLate, JobRunRequested, JobRunStarted, JobRunSucceeded, JobsDesired } from './generated/orzo/events/v1/job';
import { InstanceHealthy, InstanceStarted, InstanceStopped, InstanceUnhealthy } from './generated/orzo/events/v1/instance';
import { Subject, Subjects } from './subjects';

/** The payload type carried on each subject. */
export interface EventMap {
  'orzo.build.requested.v1': BuildRequested;
  'orzo.build.started.v1': BuildStarted;
  'orzo.build.image-built.v1': BuildImageBuilt;
  'orzo.build.failed.v1': BuildFailed;
  'orzo.build.step-requested.v1': PipelineStepRequested;
  'orzo.build.step-finished.v1': PipelineStepFinished;
  'orzo.deploy.requested.v1': DeployRequested;
  'orzo.deploy.progressed.v1': DeployProgressed;
  'orzo.deploy.completed.v1': DeployCompleted;
  'orzo.deploy.failed.v1': DeployFailed;
  'orzo.instance.started.v1': InstanceStarted;
  'orzo.instance.stopped.v1': InstanceStopped;
  'orzo.instance.healthy.v1': InstanceHealthy;
  'orzo.instance.unhealthy.v1': InstanceUnhealthy;
  'orzo.discovery.endpoints-changed.v1': EndpointsChanged;
  'orzo.alert.raised.v1': AlertRaised;
  'orzo.alert.resolved.v1': AlertResolved;
  'orzo.config.changed.v1': ConfigChanged;
  'orzo.job.desired.v1': JobsDesired;
  'orzo.job.run-requested.v1': JobRunRequested;
  'orzo.job.run-started.v1': JobRunStarted;
  'orzo.job.action-finished.v1': JobActionFinished;
  'orzo.job.run-succeeded.v1': JobRunSucceeded;
  'orzo.job.run-failed.v1': JobRunFailed;
  'orzo.job.run-late.v1': JobRunLate;
}

/** The ts-proto JSON codec every generated message has. */
export interface JsonCodec<T> {
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

export interface EventDefinition<T> {
  subject: Subject;
  /** The proto message name, for error messages and docs. */
  messageName: string;
  codec: JsonCodec<T>;
  /**
   * Payload fields (proto JSON names) that must be present and non-empty. proto3 has no
   * required fields, so the contract lists them here; a payload without them is rejected.
   */
  required: readonly string[];
}

type Registry = { [S in Subject]: EventDefinition<EventMap[S]> };

function def<S extends Subject>(subject: S, messageName: string, codec: JsonCodec<EventMap[S]>, required: readonly string[]): EventDefinition<EventMap[S]> {
  return { subject, messageName, codec, required };
}

export const EVENT_DEFINITIONS: Registry = {
  [Subjects.BuildRequested]: def(Subjects.BuildRequested, 'BuildRequested', BuildRequested, ['buildId', 'service', 'commitSha']),
  [Subjects.BuildStarted]: def(Subjects.BuildStarted, 'BuildStarted', BuildStarted, ['buildId', 'service', 'commitSha']),
  [Subjects.BuildImageBuilt]: def(Subjects.BuildImageBuilt, 'BuildImageBuilt', BuildImageBuilt, ['buildId', 'service', 'commitSha', 'image']),
  [Subjects.BuildFailed]: def(Subjects.BuildFailed, 'BuildFailed', BuildFailed, ['buildId', 'service', 'commitSha', 'error']),
  [Subjects.BuildStepRequested]: def(Subjects.BuildStepRequested, 'PipelineStepRequested', PipelineStepRequested, [
    'runId',
    'service',
    'commitSha',
    'step',
    'command',
  ]),
  [Subjects.BuildStepFinished]: def(Subjects.BuildStepFinished, 'PipelineStepFinished', PipelineStepFinished, ['runId', 'service', 'commitSha', 'step']),
  [Subjects.DeployRequested]: def(Subjects.DeployRequested, 'DeployRequested', DeployRequested, ['deployId', 'service', 'specs']),
  [Subjects.DeployProgressed]: def(Subjects.DeployProgressed, 'DeployProgressed', DeployProgressed, ['deployId', 'service', 'instance', 'cluster']),
  [Subjects.DeployCompleted]: def(Subjects.DeployCompleted, 'DeployCompleted', DeployCompleted, ['deployId', 'service', 'instance', 'cluster']),
  [Subjects.DeployFailed]: def(Subjects.DeployFailed, 'DeployFailed', DeployFailed, ['deployId', 'service', 'instance', 'cluster', 'reason']),
  [Subjects.InstanceStarted]: def(Subjects.InstanceStarted, 'InstanceStarted', InstanceStarted, ['replica']),
  [Subjects.InstanceStopped]: def(Subjects.InstanceStopped, 'InstanceStopped', InstanceStopped, ['replica']),
  [Subjects.InstanceHealthy]: def(Subjects.InstanceHealthy, 'InstanceHealthy', InstanceHealthy, ['replica']),
  [Subjects.InstanceUnhealthy]: def(Subjects.InstanceUnhealthy, 'InstanceUnhealthy', InstanceUnhealthy, ['replica']),
  [Subjects.DiscoveryEndpointsChanged]: def(Subjects.DiscoveryEndpointsChanged, 'EndpointsChanged', EndpointsChanged, ['registration']),
  [Subjects.AlertRaised]: def(Subjects.AlertRaised, 'AlertRaised', AlertRaised, ['alertId', 'check', 'service', 'severity']),
  [Subjects.AlertResolved]: def(Subjects.AlertResolved, 'AlertResolved', AlertResolved, ['alertId', 'check', 'service']),
  [Subjects.ConfigChanged]: def(Subjects.ConfigChanged, 'ConfigChanged', ConfigChanged, ['service']),
  [Subjects.JobsDesired]: def(Subjects.JobsDesired, 'JobsDesired', JobsDesired, ['service', 'cluster']),
  [Subjects.JobRunRequested]: def(Subjects.JobRunRequested, 'JobRunRequested', JobRunRequested, ['runId', 'service', 'cluster', 'job']),
  [Subjects.JobRunStarted]: def(Subjects.JobRunStarted, 'JobRunStarted', JobRunStarted, ['run']),
  [Subjects.JobActionFinished]: def(Subjects.JobActionFinished, 'JobActionFinished', JobActionFinished, ['run', 'result']),
  [Subjects.JobRunSucceeded]: def(Subjects.JobRunSucceeded, 'JobRunSucceeded', JobRunSucceeded, ['run']),
  [Subjects.JobRunFailed]: def(Subjects.JobRunFailed, 'JobRunFailed', JobRunFailed, ['run', 'reason']),
  [Subjects.JobRunLate]: def(Subjects.JobRunLate, 'JobRunLate', JobRunLate, ['run']),
};

export function isKnownSubject(subject: string): subject is Subject {
  return Object.prototype.hasOwnProperty.call(EVENT_DEFINITIONS, subject);
}

import { PipelineStep } from '@orzo/soa-config';

/** Why a non-deploy step was not run here, in the history's words. */
export function nonDeployStep(step: PipelineStep, beforeFirstDeploy: boolean, registry: string): string {
  if (step.step === 'push-to-registry')
    return registry ? `done by the builder (pushed to ${registry})` : 'skipped: no registry configured, images stay on the engine';
  if (beforeFirstDeploy)
    return step.command ? `run by the builder before the image was announced: ${step.command}` : 'skipped: no command configured in deploy.yaml';
  return step.command ? `run by a builder: ${step.command}` : 'skipped: no command configured in deploy.yaml';
}

import { Injectable } from '@nestjs/common';
import { BusService } from '@orzo/bus';
import { Rpcs, api } from '@orzo/contracts';
import { InvalidArgumentError } from '@orzo/platform';
import { nameProblem } from '@orzo/soa-config';
import { shown } from '../shown';

/**
 * ListAlerts: asked of monitor-bridge (Rpcs.listAlerts), which owns the alerts and knows where
 * each went; a monitor-bridge that does not answer is UNAVAILABLE, naming it.
 */
@Injectable()
export class AlertsService {
  constructor(private readonly bus: BusService) {}

  async list(req: api.ListAlertsRequest): Promise<api.ListAlertsResponse> {
    const problem = req.service ? nameProblem(shown(req.service), 'service') : null;
    if (problem) throw new InvalidArgumentError(problem);
    const answer = await this.bus.request(Rpcs.listAlerts, { service: req.service }, { timeout: 5_000 });
    return { alerts: answer.alerts };
  }

  /**
   * The alerts firing now for one service, for `orzo status`: a monitor-bridge that does not
   * answer within `timeoutMs` leaves them out (the status still answers; `orzo alerts` says why).
   */
  async firingOf(service: string, timeoutMs = 2_000): Promise<api.FiringAlert[]> {
    try {
      return (await this.bus.request(Rpcs.listAlerts, { service }, { timeout: timeoutMs })).alerts;
    } catch {
      return [];
    }
  }
}

import { Injectable } from '@nestjs/common';
import { AlertRaised } from '@orzo/contracts';
import { DatabaseHolder, EntityManager } from '@orzo/persistence';
import { AlertState } from '../alerts/alert-policy';
import { MonitorAlertSchema } from './monitor.entities';

/** An alert as stored: its state and, while it fires, what was last raised. */
export interface StoredAlert {
  alertId: string;
  service: string;
  state: AlertState;
  raised?: AlertRaised;
}

/** monitor_alert: the state of every alert, so a restart neither forgets nor re-raises one. */
@Injectable()
export class AlertRepository {
  constructor(private readonly db: DatabaseHolder) {}

  async all(): Promise<StoredAlert[]> {
    const rows = await this.db.database.em().find(MonitorAlertSchema, {}, { disableIdentityMap: true });
    return rows.map((r) => ({
      alertId: r.alertId,
      service: r.service,
      state: JSON.parse(r.state) as AlertState,
      raised: r.raised ? AlertRaised.fromJSON(JSON.parse(r.raised)) : undefined,
    }));
  }

  async save(a: StoredAlert, em: EntityManager = this.db.database.em()): Promise<void> {
    await em.upsert(
      MonitorAlertSchema,
      {
        alertId: a.alertId,
        service: a.service,
        state: JSON.stringify(a.state),
        raised: a.raised ? JSON.stringify(AlertRaised.toJSON(a.raised)) : null,
        updatedAt: new Date().toISOString(),
      },
      { onConflictAction: 'merge' },
    );
  }
}

import { Module } from '@nestjs/common';
import { AlertsService } from './alerts.service';

/** The alert listing of the API (ListAlerts). */
@Module({ providers: [AlertsService], exports: [AlertsService] })
export class AlertsModule {}

import { Migration } from '@mikro-orm/migrations';

/** The processed-event ledger of every consumer of the service. */
export class M20261124ProcessedEvents extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table if not exists orzo_processed_event (
      consumer varchar(200) not null,
      event_id varchar(100) not null,
      subject varchar(200) not null,
      processed_at varchar(40) not null,
      primary key (consumer, event_id))`);
    this.addSql('create index if not exists orzo_processed_event_at on orzo_processed_event (processed_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists orzo_processed_event');
  }
}

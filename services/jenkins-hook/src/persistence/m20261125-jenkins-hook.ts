import { Migration } from '@orzo/persistence';

/** Every webhook delivery jenkins-hook accepted, keyed by its de-duplication key. */
export class M20261125JenkinsHook extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table hook_delivery (
      key varchar(400) not null primary key,
      service varchar(200) not null,
      job varchar(200) null,
      build_number integer null,
      phase varchar(40) null,
      status varchar(40) null,
      action varchar(40) not null,
      event_id varchar(64) null,
      received_at varchar(40) not null,
      detail text not null)`);
    this.addSql('create index hook_delivery_received on hook_delivery (received_at)');
    this.addSql('create index hook_delivery_service on hook_delivery (service, received_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists hook_delivery');
  }
}

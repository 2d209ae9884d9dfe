import { Migration } from '@orzo/persistence';

/** What monitor-bridge watches, so a restart resumes every check. */
export class M20261124Monitor extends Migration {
  override async up(): Promise<void> {
    this.addSql('create table monitor_spec (instance_key varchar(300) not null primary key, healthcheck text not null)');
    this.addSql('create table monitor_replica (replica_id varchar(100) not null primary key, replica text not null, registrations text not null)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists monitor_replica');
    this.addSql('drop table if exists monitor_spec');
  }
}

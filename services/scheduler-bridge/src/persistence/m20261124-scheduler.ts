import { Migration } from '@orzo/persistence';

/** The latest desired spec per instance: what the bridge converges to, across its own restarts. */
export class M20261124Scheduler extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table sched_desired_instance (
      instance_key varchar(300) not null primary key,
      deploy_id varchar(64) not null,
      spec text not null,
      completed_deploy_id varchar(64) null,
      updated_at varchar(40) not null)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists sched_desired_instance');
  }
}

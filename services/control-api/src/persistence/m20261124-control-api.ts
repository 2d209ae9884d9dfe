import { Migration } from '@orzo/persistence';

export class M20261124ControlApi extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table control_deploy_mark (
      id varchar(64) not null primary key,
      service varchar(100) not null,
      deploy_group varchar(200) not null,
      image varchar(500) not null,
      git_sha varchar(64) not null,
      requested_by varchar(200) not null,
      reason varchar(200) not null,
      event_id varchar(64) not null,
      created_at varchar(40) not null)`);
    this.addSql('create index control_deploy_mark_group on control_deploy_mark (service, deploy_group, created_at)');
    this.addSql(`create table control_outbox (
      id varchar(64) not null primary key,
      subject varchar(200) not null,
      body text not null,
      created_at varchar(40) not null,
      published_at varchar(40) null)`);
    this.addSql('create index control_outbox_unpublished on control_outbox (published_at, created_at)');
    this.addSql(`create table control_replica (
      replica_id varchar(100) not null primary key,
      service varchar(100) not null,
      instance varchar(100) not null,
      cluster varchar(100) not null,
      host varchar(100) not null,
      port integer not null,
      git_sha varchar(64) not null,
      config_hash varchar(40) not null,
      state varchar(40) not null,
      updated_at varchar(40) not null)`);
    this.addSql('create index control_replica_service on control_replica (service)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists control_replica');
    this.addSql('drop table if exists control_outbox');
    this.addSql('drop table if exists control_deploy_mark');
  }
}

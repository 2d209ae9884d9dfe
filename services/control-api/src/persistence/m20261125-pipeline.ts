import { Migration } from '@orzo/persistence';

/** Builds (a view of the builder's events), deploy progress per instance, the pipeline and its history. */
export class M20261125Pipeline extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table control_build (
      build_id varchar(64) not null primary key,
      service varchar(100) not null,
      commit_sha varchar(64) not null,
      image varchar(500) not null,
      state varchar(20) not null,
      step varchar(500) null,
      error text null,
      requested_by varchar(200) not null,
      requested_at varchar(40) not null,
      finished_at varchar(40) null,
      updated_at varchar(40) not null)`);
    this.addSql('create index control_build_service on control_build (service, requested_at)');
    this.addSql(`create table control_deploy_instance (
      deploy_id varchar(64) not null,
      instance_key varchar(300) not null,
      state varchar(20) not null,
      primary key (deploy_id, instance_key))`);
    this.addSql(`create table control_pipeline_run (
      service varchar(100) not null,
      git_sha varchar(64) not null,
      image varchar(500) not null,
      started_at varchar(40) not null,
      primary key (service, git_sha))`);
    this.addSql(`create table control_history (
      id varchar(64) not null primary key,
      service varchar(100) not null,
      at varchar(40) not null,
      kind varchar(20) not null,
      deploy_group varchar(200) not null,
      git_sha varchar(64) not null,
      detail text not null,
      actor varchar(200) not null)`);
    this.addSql('create index control_history_service on control_history (service, at)');
  }

  override async down(): Promise<void> {
    for (const t of ['control_history', 'control_pipeline_run', 'control_deploy_instance', 'control_build']) this.addSql(`drop table if exists ${t}`);
  }
}

import { Migration } from '@orzo/persistence';

/** Every build the builder was asked for, its outcome, and whether that outcome was announced. */
export class M20261125Builder extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table builder_build (
      id varchar(64) not null primary key,
      service varchar(100) not null,
      commit_sha varchar(64) not null,
      git_url varchar(1000) not null,
      dockerfile varchar(500) not null,
      context varchar(500) not null,
      build_args text not null,
      force integer not null,
      skip_pipeline integer not null,
      requested_by varchar(200) not null,
      correlation_id varchar(64) not null,
      image varchar(500) not null,
      state varchar(20) not null,
      follows varchar(64) null,
      step varchar(500) null,
      error text null,
      log_tail text null,
      image_id varchar(100) null,
      digest varchar(100) null,
      result_event_id varchar(64) null,
      result_published integer not null,
      created_at varchar(40) not null,
      started_at varchar(40) null,
      finished_at varchar(40) null)`);
    this.addSql('create index builder_build_commit on builder_build (service, commit_sha, state)');
    this.addSql('create index builder_build_state on builder_build (state, created_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists builder_build');
  }
}

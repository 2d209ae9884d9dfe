// Written by hand in the form `npm run migration:create -- control-api` gives; do not edit a migration that has run anywhere.
import { Migration } from '@orzo/persistence';

export class M20261130100000Secrets extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "control_secret" ("secret_key" varchar(300) not null, "service" varchar(100) not null, "name" varchar(100) not null, "sealed" text not null, "version" varchar(40) not null, "created_at" varchar(40) not null, "created_by" varchar(200) not null, "updated_at" varchar(40) not null, "updated_by" varchar(200) not null, constraint "control_secret_pkey" primary key ("secret_key"));`,
    );
    this.addSql(`create index "control_secret_service" on "control_secret" ("service");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "control_secret" cascade;`);
  }
}

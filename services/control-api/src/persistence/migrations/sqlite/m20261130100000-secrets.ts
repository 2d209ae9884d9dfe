// Written by hand in the form `npm run migration:create -- control-api` gives; do not edit a migration that has run anywhere.
import { Migration } from '@orzo/persistence';

export class M20261130100000Secrets extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`control_secret\` (\`secret_key\` text not null, \`service\` text not null, \`name\` text not null, \`sealed\` text not null, \`version\` text not null, \`created_at\` text not null, \`created_by\` text not null, \`updated_at\` text not null, \`updated_by\` text not null, primary key (\`secret_key\`));`,
    );
    this.addSql(`create index \`control_secret_service\` on \`control_secret\` (\`service\`);`);
  }
}

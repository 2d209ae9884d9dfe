import { Module } from '@nestjs/common';

/** jenkins-hook: receives CI webhooks and turns them into build events. Its handlers and adapters register here. */
@Module({})
export class JenkinsHookModule {}

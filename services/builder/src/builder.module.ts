import { Module } from '@nestjs/common';

/** builder: builds images with Docker Engine and pushes them. Its handlers and adapters register here. */
@Module({})
export class BuilderModule {}

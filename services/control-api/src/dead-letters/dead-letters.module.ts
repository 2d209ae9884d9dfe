import { Module } from '@nestjs/common';
import { DeadLettersService } from './dead-letters.service';

/** The dead-letter listing of the API (ListDeadLetters). */
@Module({ providers: [DeadLettersService], exports: [DeadLettersService] })
export class DeadLettersModule {}

export * from './config';
export * from './logger';
export * from './metrics';
export * from './health';
export * from './tokens';
export * from './platform.module';
export * from './bootstrap';
export * from './health-check';

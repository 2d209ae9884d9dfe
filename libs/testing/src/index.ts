export * from './ports';
export * from './wait';
export * from './nats-server';
export * from './databases';
export * from './docker';
export * from './haproxy';
export * from './http';

export * from './orzo-service';

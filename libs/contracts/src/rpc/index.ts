export * from './rpc-contract';
export * from './rpcs';

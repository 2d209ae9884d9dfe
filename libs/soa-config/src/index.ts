export * from './problems';
export * from './yaml-source';
export * from './tree';

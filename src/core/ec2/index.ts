// The SDK-backed half of the EC2 layer in one module: the extension loads it (as its own bundle,
// dist/lazy/ec2.js) on the first cloud command. settings.ts and writeBack.ts stay out: no SDK there.
export * from './client';
export * from './discover';
export * from './down';
export * from './owned';
export * from './power';
export * from './up';

/** jest + ts-jest; v8 coverage because istanbul's counters break gpu.js kernel sources. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  coverageProvider: 'v8',
};

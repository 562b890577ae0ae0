// Kept in step with package.json by test/package.test.ts; the meter and instrumentation scope carry it.
export const PACKAGE_NAME = 'zdx-otel';
export const PACKAGE_VERSION = '0.1.0';

/** A thrown error whose message is meant for the user as is (exit code 2, no stack). */
export class DemoUsageError extends Error {
  override name = 'DemoUsageError';
}

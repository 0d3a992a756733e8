/** A complete environment for loadConfig, dry run by default; override what a test needs. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-test-0000-placeholder',
    SLACK_SIGNING_SECRET: 'test-signing-secret-0000',
    EXOTEL_DRY_RUN: 'true',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

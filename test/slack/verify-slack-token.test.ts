// The startup check of SLACK_BOT_TOKEN, with Slack's answers stubbed by nock at the HTTP level.
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger.js';
import { SlackTokenError, verifySlackToken } from '../../src/slack/verify-slack-token.js';

const API = 'https://slack.test/api/';
const TOKEN = 'xoxb-nock-placeholder-not-a-real-token';
const lines: string[] = [];
const log = createLogger({
  level: 'debug',
  pretty: false,
  destination: new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  }),
});

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  lines.length = 0;
});

describe('verifySlackToken', () => {
  it('returns the bot identity, sending the token as Bearer', async () => {
    const scope = nock('https://slack.test', { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .post('/api/auth.test')
      .reply(200, { ok: true, user_id: 'U0BOT', bot_id: 'B0BOT', team_id: 'T0001' });
    await expect(verifySlackToken(TOKEN, API, log)).resolves.toEqual({ botId: 'B0BOT', botUserId: 'U0BOT', teamId: 'T0001' });
    expect(scope.isDone()).toBe(true);
  });

  it('says which token Slack rejected and where to copy it again, without logging the token', async () => {
    nock('https://slack.test').post('/api/auth.test').reply(200, { ok: false, error: 'invalid_auth' });
    const error = await verifySlackToken(TOKEN, API, log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackTokenError);
    expect((error as Error).message).toBe(
      "Slack rejected SLACK_BOT_TOKEN (invalid_auth). Copy the Bot User OAuth Token again from the app's OAuth & Permissions page.",
    );
    expect(lines.join('')).not.toContain(TOKEN);
  });

  it('refuses a user token that has no bot id', async () => {
    nock('https://slack.test').post('/api/auth.test').reply(200, { ok: true, user_id: 'U0PERSON', team_id: 'T0001' });
    await expect(verifySlackToken(TOKEN, API, log)).rejects.toThrow(/not a bot token/);
  });

  it('says Slack could not be reached after retrying a server error', async () => {
    nock('https://slack.test').post('/api/auth.test').times(4).reply(503, 'unavailable');
    await expect(verifySlackToken(TOKEN, API, log)).rejects.toThrow(
      /^Could not reach Slack at https:\/\/slack\.test\/api\/ to check SLACK_BOT_TOKEN/,
    );
  }, 20_000);
});

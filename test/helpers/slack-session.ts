// A person using the bot from Slack, over real signed HTTP: slash commands, button clicks, modal submissions and
// Home tab openings, each answered by the real app; and the forms Slack would send back from a view the app opened.
import { expect } from 'vitest';
import type { SlackCall } from '../fakes/fake-slack.js';
import type { TestApp } from './app-harness.js';
import { buttonClick, postPayload, postToSlackEndpoint, slackSignature, slashCommand, viewSubmission } from './slack-signing.js';

export interface CommandAnswer {
  /** What Bolt answered the command with (the ephemeral reply), `{}` when empty. */
  body: { text?: string; blocks?: Array<Record<string, unknown>>; response_type?: string };
  responseUrl: string;
}

/** A view as Slack shows it: its blocks and their inputs. */
export interface OpenedView {
  callback_id: string;
  private_metadata: string;
  blocks: Array<{ type: string; block_id?: string; element?: Record<string, unknown>; text?: { text: string } }>;
}

export type Typed = string | string[] | null;

export class SlackSession {
  constructor(
    private readonly app: TestApp,
    readonly user = 'U0OWNER',
    readonly channel = 'C0001',
  ) {}

  get #events(): string {
    return `${this.app.url}/slack/events`;
  }

  get #secret(): string {
    return this.app.config.slack.signingSecret!;
  }

  async command(text: string): Promise<CommandAnswer> {
    const responseUrl = this.app.slack.responseUrl(`cmd-${Math.random().toString(36).slice(2)}`);
    const res = await postToSlackEndpoint(
      this.#events,
      slashCommand(text, { user_id: this.user, channel_id: this.channel, response_url: responseUrl }),
      this.#secret,
    );
    expect(res.status, text).toBe(200);
    const raw = await res.text();
    return { body: raw ? (JSON.parse(raw) as CommandAnswer['body']) : {}, responseUrl };
  }

  /** Clicks a button on a message in the session's channel; resolves with what the app posted to its response_url. */
  async click(actionId: string, value: string): Promise<SlackCall> {
    const path = await this.press(actionId, value);
    return this.app.slack.waitFor((c) => c.method === 'response_url' && c.path === path, 15_000);
  }

  /** Clicks a button whose success answers nothing (Pause, Stop: the progress message shows it); returns the response_url path. */
  async press(actionId: string, value: string): Promise<string> {
    const responseUrl = this.app.slack.responseUrl(`click-${Math.random().toString(36).slice(2)}`);
    const res = await postPayload(
      this.#events,
      buttonClick(actionId, value, { responseUrl, user: this.user, channel: this.channel }),
      this.#secret,
    );
    expect(res.status, actionId).toBe(200);
    return responseUrl.split('/respond/')[1]!;
  }

  /** Submits a modal; resolves with Bolt's ack body (`{}` when the modal just closes). */
  async submit(
    callbackId: string,
    values: object,
    privateMetadata: string,
  ): Promise<{ response_action?: string; errors?: Record<string, string> }> {
    const res = await postPayload(this.#events, viewSubmission(callbackId, values, privateMetadata, this.user), this.#secret);
    expect(res.status, callbackId).toBe(200);
    const raw = await res.text();
    return raw ? (JSON.parse(raw) as { response_action?: string; errors?: Record<string, string> }) : {};
  }

  /** Runs a command that opens a modal; resolves with the view the app asked Slack to open. */
  async openModal(text: string, callbackId: string): Promise<OpenedView> {
    const before = this.app.slack.calls.length;
    await this.command(text);
    const opened = await this.app.slack.waitFor(
      (c) =>
        c.method === 'views.open' && this.app.slack.calls.indexOf(c) >= before && (c.args.view as OpenedView).callback_id === callbackId,
    );
    return opened.args.view as OpenedView;
  }

  /** Opens the Home tab; resolves with the view published for this person. */
  async openHome(): Promise<OpenedView> {
    const before = this.app.slack.calls.length;
    const body = JSON.stringify({
      token: 'legacy-verification-token',
      team_id: 'T0001',
      api_app_id: 'A0001',
      type: 'event_callback',
      event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: 'T0001', user_id: 'U0BOT', is_bot: true, is_enterprise_install: false }],
      event: { type: 'app_home_opened', user: this.user, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(this.#events, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(this.#secret, timestamp, body),
      },
      body,
    });
    expect(res.status).toBe(200);
    const published = await this.app.slack.waitFor(
      (c) => c.method === 'views.publish' && c.args.user_id === this.user && this.app.slack.calls.indexOf(c) >= before,
    );
    return published.args.view as OpenedView;
  }
}

/**
 * `view.state.values` as Slack sends them for `view`: every input as pre-filled, except those in `typed` (by block id):
 * text and numbers as typed (null: emptied), checkboxes by the values ticked, a select by its value.
 */
export function formValues(view: OpenedView, typed: Record<string, Typed> = {}): Record<string, Record<string, unknown>> {
  const values: Record<string, Record<string, unknown>> = {};
  for (const block of view.blocks) {
    if (block.type !== 'input' || !block.block_id || !block.element) continue;
    const e = block.element as {
      type: string;
      action_id: string;
      initial_value?: string;
      initial_options?: unknown[];
      initial_option?: unknown;
      options?: Array<{ value: string }>;
    };
    const given = typed[block.block_id];
    const has = block.block_id in typed;
    const pick = (wanted: string[]) => (e.options ?? []).filter((o) => wanted.includes(o.value));
    let value: Record<string, unknown>;
    if (e.type === 'checkboxes')
      value = { type: e.type, selected_options: has ? pick((given as string[] | null) ?? []) : (e.initial_options ?? []) };
    else if (e.type === 'static_select')
      value = { type: e.type, selected_option: has ? (pick([given as string])[0] ?? null) : (e.initial_option ?? null) };
    else if (e.type === 'file_input') value = { type: e.type, files: [] };
    else value = { type: e.type, value: has ? (given as string | null) : (e.initial_value ?? null) };
    values[block.block_id] = { [e.action_id]: value };
  }
  return values;
}

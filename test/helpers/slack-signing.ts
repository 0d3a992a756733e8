import { createHmac } from 'node:crypto';

/** Signs a request body exactly as Slack does: v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>"). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Omit the signature headers. */
  unsigned?: boolean;
  /** Sign with this secret instead (a bad signature). */
  secret?: string;
}

/** POSTs a form body to Bolt's endpoint the way Slack does. */
export async function postToSlackEndpoint(
  url: string,
  form: Record<string, string>,
  signingSecret: string,
  options: SignedPostOptions = {},
): Promise<Response> {
  const body = new URLSearchParams(form).toString();
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (!options.unsigned) {
    headers['x-slack-request-timestamp'] = String(timestamp);
    headers['x-slack-signature'] = slackSignature(options.secret ?? signingSecret, timestamp, body);
  }
  return fetch(url, { method: 'POST', headers, body });
}

let triggerSeq = 0;

/** The form fields of a `/campaign …` slash command. */
export function slashCommand(text: string, fields: Partial<Record<string, string>> = {}): Record<string, string> {
  triggerSeq += 1;
  const base: Record<string, string> = {
    token: 'legacy-verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0001',
    channel_name: 'collections',
    user_id: 'U0OWNER',
    user_name: 'owner',
    command: '/campaign',
    text,
    api_app_id: 'A0001',
    response_url: 'http://127.0.0.1:9/unused',
    trigger_id: `trigger.${triggerSeq}`,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) base[k] = v;
  return base;
}

/** POSTs an interactivity payload (`payload=<JSON>`) signed as Slack signs it. */
export function postPayload(url: string, payload: object, signingSecret: string, options: SignedPostOptions = {}): Promise<Response> {
  return postToSlackEndpoint(url, { payload: JSON.stringify(payload) }, signingSecret, options);
}

export interface ClickOptions {
  user?: string;
  channel?: string;
  responseUrl: string;
  team?: string;
}

/** The block_actions payload of a button click on a message. */
export function buttonClick(actionId: string, value: string, o: ClickOptions): object {
  triggerSeq += 1;
  return {
    type: 'block_actions',
    team: { id: o.team ?? 'T0001', domain: 'acme' },
    user: { id: o.user ?? 'U0OWNER', username: 'someone', team_id: o.team ?? 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: o.channel ?? 'C0001', is_ephemeral: true },
    trigger_id: `trigger.${triggerSeq}`,
    channel: { id: o.channel ?? 'C0001', name: 'collections' },
    response_url: o.responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: 'b',
        text: { type: 'plain_text', text: 'x' },
        value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}

let viewSeq = 0;

/** The view_submission payload of a modal submitted by `user`, with `values` as Slack sends `view.state.values`. */
export function viewSubmission(callbackId: string, values: object, privateMetadata: string, user = 'U0OWNER'): object {
  viewSeq += 1;
  return {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: user, username: 'someone', name: 'someone', team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    trigger_id: `trigger.view.${viewSeq}`,
    view: {
      id: `V${viewSeq}`,
      team_id: 'T0001',
      type: 'modal',
      blocks: [],
      private_metadata: privateMetadata,
      callback_id: callbackId,
      state: { values },
      hash: `hash.${viewSeq}`,
      title: { type: 'plain_text', text: 'x' },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: `V${viewSeq}`,
      app_id: 'A0001',
      external_id: '',
      app_installed_team_id: 'T0001',
      bot_id: 'B0BOT',
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

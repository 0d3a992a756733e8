// The sentences users read when a campaign action cannot happen: what happened, and what to do.
import type { ActionResult } from '../campaigns/campaign-service.js';
import { LIVE_BUCKETS } from '../campaigns/vocabulary.js';
import type { CampaignFields } from '../store/campaign-model.js';
import { slackDate, STATUS_LABEL } from './blocks/format.js';
import { COMMAND } from './ids.js';

export function noSuchCampaign(typed: string, closest: string[]): string {
  const shown = typed.length > 60 ? `${typed.slice(0, 60)}…` : typed;
  const safe = shown.replace(/[`<>&]/g, '');
  const hint = closest.length > 0 ? ` Did you mean ${closest.map((n) => `\`${n}\``).join(', ')}?` : '';
  return `No campaign named \`${safe}\`.${hint} \`${COMMAND} list\` shows every campaign.`;
}

export function whichCampaign(subcommand: string): string {
  return `Which campaign? Type \`${COMMAND} ${subcommand} &lt;name&gt;\`; \`${COMMAND} list\` shows the names.`;
}

export function whoCanAct(campaign: CampaignFields, verb: string): string {
  return `Only <@${campaign.owner}>, who owns \`${campaign.name}\`, or a campaign admin (CAMPAIGN_ADMINS) can ${verb} it.`;
}

const VERB: Record<string, string> = {
  start: 'start',
  schedule: 'schedule',
  unschedule: 'unschedule',
  pause: 'pause',
  resume: 'resume',
  stop: 'stop',
  retry: 'retry',
  delete: 'delete',
  add: 'add contacts to',
  export: 'export',
  edit: 'edit',
  view: 'see the contacts of',
  chart: 'chart',
};

/** Export, View and chart show every number and name: for the owner, operators and admins. */
const PRIVATE = new Set(['export', 'view', 'chart']);

/** A guest or a non-operator asking for what only operators may do. */
export function notAllowed(reason: 'guest' | 'not-operator', verb: string): string {
  return reason === 'guest'
    ? `Guest accounts cannot ${verb} campaigns: they call real people and show their numbers. Ask a member of your team to do it.`
    : `Only campaign operators (CAMPAIGN_OPERATORS) can ${verb} campaigns. Ask one of them, or an admin to add you.`;
}

/** A channel outside CAMPAIGN_CHANNELS. */
export function channelNotAllowed(allowed: readonly string[]): string {
  return `Campaigns in this workspace report only in ${allowed.map((c) => `<#${c}>`).join(', ')} (CAMPAIGN_CHANNELS). Start it from one of those channels.`;
}

/** The sentence for a refused action. */
export function refusal(action: keyof typeof VERB, result: Extract<ActionResult, { ok: false }>): string {
  const c = result.campaign;
  if (!c || result.reason === 'not-found') return 'That campaign no longer exists.';
  if (result.reason === 'forbidden') {
    return PRIVATE.has(action)
      ? `Only <@${c.owner}>, who owns \`${c.name}\`, campaign operators and admins can ${VERB[action]} it: it shows every number and name.`
      : whoCanAct(c, VERB[action]!);
  }
  if (result.reason === 'guest' || result.reason === 'not-operator')
    return notAllowed(result.reason, VERB[action] === 'see the contacts of' ? 'see the contacts of' : VERB[action]!);
  if (result.reason === 'channel-not-allowed') return channelNotAllowed(result.allowedChannels ?? []);
  const name = `\`${c.name}\``;
  const status = (STATUS_LABEL[c.status] ?? c.status).toLowerCase();
  if (result.reason === 'calls-live') {
    const live = LIVE_BUCKETS.reduce((n, b) => n + (c.counts?.[b] ?? 0), 0);
    const calls = live === 1 ? 'a call' : `${live > 1 ? live : 'some'} calls`;
    return `${name} still has ${calls} that may be live at Exotel. Delete it once its calls have ended (a few minutes).`;
  }
  if (result.reason === 'end-passed') {
    return `${name} cannot be started: its end date (${c.call_until ? slackDate(c.call_until) : 'set'}) has passed, so nobody would be called. \`${COMMAND} edit ${c.name}\` sets a new one.`;
  }
  if (result.reason === 'nothing-to-call') {
    const atCap = result.atCap
      ? ` ${result.atCap} numbers not reached have had all ${c.retry.max_attempts} attempts its rules allow (\`${COMMAND} edit ${c.name}\` changes them).`
      : '';
    return action === 'retry'
      ? `${name} has no busy, unanswered or unconnected contacts with attempts left to call again.${atCap}`
      : `${name} has nobody left to call: every contact has been called or skipped. Add contacts first, or \`${COMMAND} retry ${c.name}\` after failures.`;
  }
  switch (action) {
    case 'start':
      if (c.status === 'running') return `${name} is already running. \`${COMMAND} status ${c.name}\` shows its progress.`;
      if (c.status === 'paused') return `${name} is paused. \`${COMMAND} resume ${c.name}\` continues it.`;
      return `${name} cannot be started while it is ${status}.`;
    case 'schedule':
      if (c.status === 'running' || c.status === 'paused') return `${name} is already ${status}; it cannot be scheduled.`;
      return `${name} cannot be scheduled while it is ${status}.`;
    case 'unschedule':
      return `${name} is ${status}, not scheduled.`;
    case 'edit':
      return `${name} is running. \`${COMMAND} pause ${c.name}\` first, then edit it.`;
    case 'pause':
      return `${name} is ${status}, not running, so there is nothing to pause.`;
    case 'resume':
      return c.status === 'running'
        ? `${name} is already running.`
        : `${name} is ${status}, not paused. \`${COMMAND} start ${c.name}\` starts it.`;
    case 'stop':
      return `${name} is already ${status}.`;
    case 'delete':
      return `${name} is ${status}. Only draft, completed, stopped or expired campaigns can be deleted; \`${COMMAND} stop ${c.name}\` first.`;
    default:
      return `${name} is ${status}.`;
  }
}
